import { containerEngineAt } from '../../pipeline/deployments.js';
import { restartProjects } from '../../pipeline/restart.js';
import { findWorkspaceRoot } from '../../workspace/root.js';
import { loadSettings } from '../../workspace/settings.js';
import type { GlobalOptions } from '../context.js';

/** envctl restart: restart the containers of the named projects (all when none), and see that they stay up. */
export async function restartAction(globals: GlobalOptions, projects: string[]): Promise<void> {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const engine = await containerEngineAt(root, globals.engine);
  await restartProjects(engine, root, projects, loadSettings(root).up, (name) =>
    process.stdout.write(`restarted ${name}\n`),
  );
}
