import { InputError } from '../../errors/envctl-error.js';
import { checkNamedProjects } from '../../pipeline/check-projects.js';
import { down } from '../../pipeline/down.js';
import { findWorkspaceRoot } from '../../workspace/root.js';
import { connectEngineOf, engineChoiceAt, storeOf } from '../../pipeline/edges.js';
import type { GlobalOptions } from '../context.js';
import { waitingForAnother } from '../terminal.js';

/** envctl down: by the engine's labels alone, so it works whatever state the workspace files are in. */
export async function downAction(
  globals: GlobalOptions,
  projects: string[],
  options: { volumes?: boolean },
): Promise<void> {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const choice = engineChoiceAt(root, globals.engine);
  const engine = await connectEngineOf(choice);
  if (choice.target.swarm) {
    if (options.volumes)
      throw new InputError(
        'envctl down -v does not work on a swarm: named volumes live on each node, where the tasks ran.',
        {
          hint: 'Run envctl down without -v, then remove the volumes on each node (docker volume ls --filter label=dev.envctl.workspace.root).',
        },
      );
    const { swarmDownAction } = await import('./swarm.js');
    return swarmDownAction(engine, root, projects.length ? new Set(projects) : undefined);
  }
  await checkNamedProjects(engine, root, projects);
  const store = storeOf(root, choice);
  const run = () =>
    down(engine, root, { only: projects.length ? new Set(projects) : undefined, volumes: options.volumes }, (line) =>
      process.stdout.write(`${line}\n`),
    );
  const report = await store.withEngineLock(run, waitingForAnother);
  if (report.removed.length === 0) process.stdout.write('Nothing of the workspace was running.\n');
}
