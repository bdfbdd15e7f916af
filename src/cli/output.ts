import Table from 'cli-table3';
import pc from 'picocolors';
import { stderrColor } from './report-error.js';

/** Colour only for a terminal that wants it: picocolors already honours NO_COLOR and FORCE_COLOR. */
export const color = pc.createColors(pc.isColorSupported && process.stdout.isTTY === true);

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain, borderless table: easy to read in a terminal and to cut or grep when piped. */
export function table(head: string[], rows: string[][]): string {
  const t = new Table({
    head: head.map((cell) => color.bold(cell)),
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
      'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  t.push(...rows);
  return t.toString().split('\n').map((line) => line.trimEnd()).join('\n');
}

export function warn(message: string): void {
  process.stderr.write(`${stderrColor.yellow('warning:')} ${message}\n`);
}
