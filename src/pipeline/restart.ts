import type { Engine } from '../engine/engine.js';
import { settle, type SettleOptions } from '../execute/settle.js';
import { LABEL } from '../model/labels.js';
import { checkNamedProjects } from './check-projects.js';
import { pickContainers } from './logs.js';

/**
 * envctl restart: the named projects' containers (all when none) restarted in parallel, then watched as up
 * watches what it starts: one that does not stay up fails the command with its exit code and output.
 */
export async function restartProjects(
  engine: Engine,
  root: string,
  projects: readonly string[],
  settling: SettleOptions,
  onRestarted: (name: string) => void,
): Promise<void> {
  await checkNamedProjects(engine, root, projects);
  const containers = pickContainers(await engine.containers(LABEL.root, root), projects);
  const restarted = await Promise.all(
    containers.map(async (container) => {
      const restartsBefore = (await engine.inspectContainer(container.id)).RestartCount ?? 0;
      await engine.restartContainer(container.id);
      onRestarted(container.name);
      return { id: container.id, name: container.name, restartsBefore };
    }),
  );
  await settle(engine, restarted, settling);
}
