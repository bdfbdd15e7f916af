import type { KeyTarget } from '../compose/service-keys.js';
import type { ComposeFile } from '../compose/compose-types.js';
import { modelProblems } from '../merge/check-model.js';
import { nameClashes, namespacedNames, type NamespacedName } from '../merge/namespace.js';
import { InputError, formatLocation, type SourceLocation } from '../errors/envctl-error.js';
import type { NetworkRequest } from '../allocation/network/allocate-subnets.js';
import { WHICH_PROJECT } from '../workspace/root.js';
import { LABEL } from '../model/labels.js';
import type { Engine } from '../engine/engine.js';
import { projectFolders, type Project, type Workspace } from '../workspace/load.js';
import { checkProjectArguments } from '../workspace/which-project.js';
import { needsProjectNetwork } from '../allocation/network/network-requests.js';

/**
 * Where a path of a project's rendered fragment was written: the project's own compose.yml when it sets
 * that service or section, else its template's fragment, else the line of which-project that lists it.
 */
export function locateInProject(project: Project, path: ReadonlyArray<string | number>): SourceLocation {
  const [section, name, key] = path;
  const override = project.override;
  const inOverride = (model: ComposeFile | undefined) => {
    const top =
      section === undefined
        ? undefined
        : (model?.[section as string] as Record<string, Record<string, unknown> | null> | undefined);
    if (name === undefined) return top !== undefined;
    const entry = top?.[name as string];
    return entry !== undefined && (key === undefined || (entry !== null && key in entry));
  };
  if (override && path.length > 0 && inOverride(override.model)) return override.source.locate(path, { key: true });
  if (project.template && path.length > 0) return project.template.fragment.locate(path, { key: true });
  if (project.configSource) return project.configSource.locate([]);
  return { file: WHICH_PROJECT, line: project.listedAt };
}

/** Every key of every project applied or refused, and every value envctl can honour: else exit 2, nothing written. */
export function checkProjectModels(
  projects: readonly Project[],
  fragments: ReadonlyMap<string, ComposeFile>,
  target: KeyTarget,
): void {
  for (const project of projects) {
    const problem = modelProblems(fragments.get(project.name)!, target)[0];
    if (!problem) continue;
    const location = locateInProject(project, problem.path);
    throw new InputError(`${formatLocation(location)}: ${problem.message}.`, { location, hint: problem.hint });
  }
}

/**
 * What envctl.yml asks that only some targets do: `placement:` applies on a swarm only (said, not dropped, on
 * one engine); a swarm hands out GPUs by count, so named GPUs and `all` are refused there at their line.
 */
export function checkSettingsOnTarget(workspace: Workspace, target: KeyTarget): string[] {
  if (target === 'engine') {
    const registry = workspace.settings.swarm.registry
      ? ['swarm.registry in workspace.yml applies on a swarm (engine: swarm) only; here nothing is pushed.']
      : [];
    const placed = workspace.projects
      .filter((project) => project.placement.node || Object.keys(project.placement.labels).length)
      .map(
        (project) =>
          `${project.name}: placement: applies on a swarm (engine: swarm) only; here everything runs on one engine.`,
      );
    return [...registry, ...placed];
  }
  for (const project of workspace.projects) {
    const gpus = project.gpus;
    if (gpus.kind !== 'ids' && gpus.kind !== 'all') continue;
    const location = project.configSource?.locate(['gpus']);
    const asked = gpus.kind === 'ids' ? `the GPUs ${gpus.ids.join(', ')}` : 'all GPUs';
    throw new InputError(
      `${location ? `${formatLocation(location)}: ` : ''}${project.name} asks for ${asked}, and a swarm hands out GPUs by count only.`,
      {
        location,
        hint: `Write gpus: <count> in projects/${project.name}/envctl.yml; the scheduler gives distinct GPUs on the node it picks.`,
      },
    );
  }
  return [];
}

/**
 * Two projects must not put the same name into the merged file ("course" + "a-web" and "course-a" + "web"
 * both make "course-a-web"), nor the same network name on the engine: one of them would silently vanish.
 */
export function checkNameClashes(
  projects: readonly Project[],
  fragments: ReadonlyMap<string, ComposeFile>,
  networkRequests: readonly NetworkRequest[],
): void {
  const byName = new Map(projects.map((project) => [project.name, project]));
  const modelNames = projects.flatMap((project) => {
    const fragment = fragments.get(project.name)!;
    return namespacedNames(project.name, fragment, needsProjectNetwork(fragment));
  });
  const engineNames: NamespacedName[] = networkRequests.flatMap((request) => {
    const [, project, network] = request.key.split(':');
    if (!project) return [];
    return [
      {
        kind: 'network' as const,
        name: request.name,
        project,
        path: network === undefined ? [] : ['networks', network],
      },
    ];
  });
  const clash = nameClashes([...modelNames, ...engineNames])[0];
  if (!clash) return;
  const [first, second] = clash;
  const where = (entry: NamespacedName) => formatLocation(locateInProject(byName.get(entry.project)!, entry.path));
  const what = (entry: NamespacedName) =>
    entry.path.length ? `its ${entry.kind} "${entry.path[1]}"` : 'its own project network';
  throw new InputError(
    `Projects "${first.project}" and "${second.project}" would both make the ${first.kind} "${first.name}": "${first.project}" from ${what(first)} ` +
      `(${where(first)}), "${second.project}" from ${what(second)} (${where(second)}). One of them would silently replace the other.`,
    {
      location: locateInProject(byName.get(second.project)!, second.path),
      hint: `Rename one of the ${first.kind}s, or one of the projects (its folder under projects/ and its line in which-project).`,
    },
  );
}

/** The projects a command names exist: as folders, or as what the engine runs for this workspace. */
export async function checkNamedProjects(engine: Engine, root: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const onEngine = (await engine.containers(LABEL.root, root)).map(
    (container) => container.labels[LABEL.project] ?? '',
  );
  checkProjectArguments(names, [...projectFolders(root), ...onEngine.filter(Boolean)]);
}
