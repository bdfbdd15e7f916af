import { LABEL } from '../model/labels.js';
import type { LinePrinter } from '../pipeline/logs.js';
import { color } from './terminal.js';

const PALETTE = [color.cyan, color.magenta, color.yellow, color.green, color.blue];

/** Prints each container's lines prefixed "project/service |", coloured per container on a terminal. */
export const logPrinter: LinePrinter = (batch) => {
  const names = batch.map((container) => `${container.labels[LABEL.project]}/${container.labels[LABEL.service]}`);
  const width = Math.max(0, ...names.map((name) => name.length));
  const prefixes = names.map((name, index) => PALETTE[index % PALETTE.length]!(`${name.padEnd(width)} |`));
  return (index, line, stream) =>
    (stream === 'stderr' ? process.stderr : process.stdout).write(`${prefixes[index]} ${line}\n`);
};
