import { LABEL } from '../../model/labels.js';
import { connectDocker } from '../../engine/docker-engine.js';
import type { Engine, LogOptions, LogStream } from '../../engine/engine.js';
import { InputError } from '../../errors/envctl-error.js';
import { findWorkspaceRoot } from '../../workspace/root.js';
import type { GlobalOptions } from '../context.js';
import { checkNamedProjects } from '../../pipeline/check-projects.js';
import { color } from '../terminal.js';
import type { ObservedContainer } from '../../engine/observed.js';

const PALETTE = [color.cyan, color.magenta, color.yellow, color.green, color.blue];

/** Prints each container's lines prefixed "project/service |", coloured per container on a terminal. */
export async function streamLogs(
  engine: Engine,
  containers: readonly ObservedContainer[],
  options: LogOptions,
): Promise<LogStream[]> {
  const names = containers.map((container) => `${container.labels[LABEL.project]}/${container.labels[LABEL.service]}`);
  const width = Math.max(0, ...names.map((name) => name.length));
  return Promise.all(
    containers.map((container, index) => {
      const paint = PALETTE[index % PALETTE.length]!;
      const prefix = paint(`${names[index]!.padEnd(width)} |`);
      return engine.logs(container.id, options, (line, stream) =>
        (stream === 'stderr' ? process.stderr : process.stdout).write(`${prefix} ${line}\n`),
      );
    }),
  );
}

/** The workspace's containers picked by "project" or "project/service" targets; every one when none. */
export function pickContainers(
  containers: readonly ObservedContainer[],
  targets: readonly string[],
): ObservedContainer[] {
  if (targets.length === 0) return [...containers];
  return targets.flatMap((target) => {
    const [project, service] = target.split('/');
    const picked = containers.filter(
      (c) => c.labels[LABEL.project] === project && (service === undefined || c.labels[LABEL.service] === service),
    );
    if (picked.length === 0) {
      const known = [...new Set(containers.map((c) => `${c.labels[LABEL.project]}/${c.labels[LABEL.service]}`))];
      throw new InputError(`No container of the workspace matches "${target}".`, {
        hint: `Running: ${known.join(', ') || '(none: run envctl up)'}.`,
      });
    }
    return picked;
  });
}

/** envctl logs: print (and with -f follow) the output of the picked containers. */
export async function logsAction(
  globals: GlobalOptions,
  targets: string[],
  options: { follow?: boolean; tail?: number },
): Promise<void> {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const engine = await connectDocker();
  await checkNamedProjects(engine, root, targets);
  const containers = pickContainers(await engine.containers(LABEL.root, root), targets);
  const streams = await streamLogs(engine, containers, { follow: options.follow ?? false, tail: options.tail });
  const stopAll = () => streams.forEach((stream) => stream.stop());
  process.once('SIGINT', stopAll);
  // Following into a pipe whose reader is gone (`envctl logs -f | head`): nothing more can be shown.
  process.stdout.once('error', stopAll);
  await Promise.all(streams.map((stream) => stream.done));
  process.off('SIGINT', stopAll);
  process.stdout.off('error', stopAll);
}
