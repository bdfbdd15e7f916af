import { workspaceDeployment } from '../../pipeline/deployments.js';
import { findWorkspaceRoot } from '../../workspace/root.js';
import type { GlobalOptions } from '../context.js';
import { waitingForAnother } from '../terminal.js';

/** envctl down: by the engine's labels alone, so it works whatever state the workspace files are in. */
export async function downAction(
  globals: GlobalOptions,
  projects: string[],
  options: { volumes?: boolean },
): Promise<void> {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const deployment = await workspaceDeployment(root, globals.engine);
  const request = { only: projects.length ? new Set(projects) : undefined, volumes: Boolean(options.volumes) };
  const view = { removed: (line: string) => void process.stdout.write(`${line}\n`), waitingForLock: waitingForAnother };
  const removed = await deployment.down(root, request, view);
  if (removed === 0) process.stdout.write('Nothing of the workspace was running.\n');
}
