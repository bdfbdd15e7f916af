import { workspaceDeployment } from '../../pipeline/deployments.js';
import { findWorkspaceRoot } from '../../workspace/root.js';
import { loadSettings } from '../../workspace/settings.js';
import type { GlobalOptions } from '../context.js';

/** envctl restart: restart the containers of the named projects (all when none), and see that they stay up. */
export async function restartAction(globals: GlobalOptions, projects: string[]): Promise<void> {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const deployment = await workspaceDeployment(root, globals.engine);
  await deployment.restart(root, projects, {
    settling: loadSettings(root).up,
    said: (line) => process.stdout.write(`${line}\n`),
  });
}
