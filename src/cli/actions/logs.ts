import { workspaceDeployment } from '../../pipeline/deployments.js';
import { findWorkspaceRoot } from '../../workspace/root.js';
import type { GlobalOptions } from '../context.js';
import { logPrinter } from '../log-printer.js';

/** envctl logs: print (and with -f follow) the output of the picked containers. */
export async function logsAction(
  globals: GlobalOptions,
  targets: string[],
  options: { follow?: boolean; tail?: number },
): Promise<void> {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const deployment = await workspaceDeployment(root, globals.engine);
  const streams = await deployment.logs(
    root,
    targets,
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
