import { connectWorkspaceEngine } from '../../pipeline/edges.js';
import { LABEL } from '../../model/labels.js';
import { findWorkspaceRoot } from '../../workspace/root.js';
import type { GlobalOptions } from '../context.js';
import { checkNamedProjects } from '../../pipeline/check-projects.js';
import { pickContainers } from '../../pipeline/logs.js';

/** envctl restart: restart the containers of the named projects (all when none), in parallel. */
export async function restartAction(globals: GlobalOptions, projects: string[]): Promise<void> {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const engine = await connectWorkspaceEngine(root, globals.engine);
  await checkNamedProjects(engine, root, projects);
  const containers = pickContainers(await engine.containers(LABEL.root, root), projects);
  await Promise.all(
    containers.map(async (container) => {
      await engine.restartContainer(container.id);
      process.stdout.write(`restarted ${container.name}\n`);
    }),
  );
}
