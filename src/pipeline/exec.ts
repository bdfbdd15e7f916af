import type { Engine, ExecIo } from '../engine/engine.js';
import type { ObservedContainer } from '../engine/observed.js';
import { InputError } from '../errors/envctl-error.js';
import { LABEL } from '../model/labels.js';
import { didYouMean } from '../util/suggest.js';
import { projectFolders } from '../workspace/load.js';

/** The command `envctl shell` runs when given none: the container's bash, else its sh. */
export const LOGIN_SHELL = [
  '/bin/sh',
  '-c',
  'if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi',
];

export interface ExecRequest {
  /** "project" or "project/service". */
  target: string;
  cmd: string[];
  tty: boolean;
  interactive: boolean;
}

/**
 * envctl exec and shell: the command in the running container of the target, its exit status returned. A
 * name that is wrong, a project of several services named without one, or a project that is not running is
 * an input error (exit 2) that says what to type instead.
 */
export async function execIn(engine: Engine, root: string, request: ExecRequest, io: ExecIo): Promise<number> {
  const container = pickRunning(await engine.containers(LABEL.root, root), request.target, projectFolders(root));
  return engine.exec(container.id, { cmd: request.cmd, tty: request.tty, interactive: request.interactive }, io);
}

/** What a target names: a container of one engine, or a service of a swarm; both carry envctl's labels. */
export interface Labelled {
  labels: Record<string, string>;
}

/** The one running container a target names. */
export function pickRunning(
  containers: readonly ObservedContainer[],
  target: string,
  folders: readonly string[],
): ObservedContainer {
  const container = pickOne(containers, target, folders);
  if (container.state !== 'running') throw notRunning(container.labels[LABEL.project] ?? target, container.state);
  return container;
}

/**
 * The one item a target ("project" or "project/service") names. A name that is wrong, a project of several
 * services named without one, or a project that has none (not running) is an input error that says what to type.
 */
export function pickOne<T extends Labelled>(items: readonly T[], target: string, folders: readonly string[]): T {
  const [project = '', service] = target.split('/');
  const ofProject = items.filter((item) => item.labels[LABEL.project] === project);
  const serviceOf = (item: T) => item.labels[LABEL.service] ?? '';
  if (ofProject.length === 0) {
    const running = items.map((item) => item.labels[LABEL.project] ?? '');
    const known = [...new Set([...folders, ...running])].filter(Boolean);
    if (!known.includes(project))
      throw new InputError(`There is no project "${project}" in this workspace.`, {
        hint: `${didYouMean(project, known)}Projects: ${known.join(', ') || '(none)'}.`,
      });
    throw notRunning(project);
  }
  const services = ofProject.map(serviceOf);
  const picked = service === undefined ? ofProject : ofProject.filter((item) => serviceOf(item) === service);
  if (picked.length === 0)
    throw new InputError(`Project "${project}" has no service "${service}".`, {
      hint: `${didYouMean(service ?? '', services)}Its services: ${services.map((s) => `${project}/${s}`).join(', ')}.`,
    });
  if (picked.length > 1)
    throw new InputError(`Project "${project}" has ${picked.length} services: say which.`, {
      hint: `Name one: ${services.map((s) => `${project}/${s}`).join(', ')}.`,
    });
  return picked[0]!;
}

export function notRunning(project: string, state?: string): InputError {
  return new InputError(`Project "${project}" is not running${state ? ` (its container is ${state})` : ''}.`, {
    hint: `Start it with "envctl up -d ${project}" (it must be listed in which-project).`,
  });
}
