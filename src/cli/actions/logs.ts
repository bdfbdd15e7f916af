import { containerEngineAt } from '../../pipeline/deployments.js';
import { LABEL } from '../../model/labels.js';
import { findWorkspaceRoot } from '../../workspace/root.js';
import type { GlobalOptions } from '../context.js';
import { checkNamedProjects } from '../../pipeline/check-projects.js';
import { logPrinter } from '../log-printer.js';
import { pickContainers, streamLogs } from '../../pipeline/logs.js';

/** envctl logs: print (and with -f follow) the output of the picked containers. */
export async function logsAction(
  globals: GlobalOptions,
  targets: string[],
  options: { follow?: boolean; tail?: number },
): Promise<void> {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const engine = await containerEngineAt(root, globals.engine);
  await checkNamedProjects(engine, root, targets);
  const containers = pickContainers(await engine.containers(LABEL.root, root), targets);
  const streams = await streamLogs(
    engine,
    containers,
    { follow: options.follow ?? false, tail: options.tail },
    logPrinter,
  );
  const stopAll = () => streams.forEach((stream) => stream.stop());
  process.once('SIGINT', stopAll);
  // Following into a pipe whose reader is gone (`envctl logs -f | head`): nothing more can be shown.
  process.stdout.once('error', stopAll);
  await Promise.all(streams.map((stream) => stream.done));
  process.off('SIGINT', stopAll);
  process.stdout.off('error', stopAll);
}
