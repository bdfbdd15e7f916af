import { isAbsolute, join, relative } from 'node:path';
import { InputError } from '../errors/envctl-error.js';

/** Where the workspace's synced folders live on the server. */
export interface RemoteLayout {
  /** The workspace root on the laptop. */
  localRoot: string;
  /** Its copy on the server (absolute). */
  remoteRoot: string;
  /** The dotfiles folder on the laptop, synced to <remoteRoot>/.dotfiles. */
  dotfiles: string | undefined;
  hostName: string;
}

export const PROJECTS_FOLDER = 'projects';
export const REMOTE_DOTFILES = '.dotfiles';

/** `~/x` on the server, given its user's home. */
export function remoteRootOf(setting: string, home: string): string {
  if (setting === '~') return home;
  if (setting.startsWith('~/')) return join(home, setting.slice(2));
  return isAbsolute(setting) ? setting : join(home, setting);
}

/**
 * Where the server's engine finds a laptop path a bind mount names: a project folder's (or the dotfiles')
 * copy under the remote root. Any other path outside the workspace is the server's own, as with DOCKER_HOST;
 * one inside the workspace but outside the project folders is not synced, so it is refused by name.
 */
export function remoteBindSource(layout: RemoteLayout): (path: string) => string {
  return (path) => {
    const inside = (base: string) => {
      const rel = relative(base, path);
      return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel)) ? rel : undefined;
    };
    const projectPath = inside(join(layout.localRoot, PROJECTS_FOLDER));
    if (projectPath !== undefined) return join(layout.remoteRoot, PROJECTS_FOLDER, projectPath);
    const dotfilesPath = layout.dotfiles === undefined ? undefined : inside(layout.dotfiles);
    if (dotfilesPath !== undefined) return join(layout.remoteRoot, REMOTE_DOTFILES, dotfilesPath);
    if (inside(layout.localRoot) !== undefined) {
      throw new InputError(
        `A bind mount names ${path}, which is in the workspace but not in a project folder: only project folders are synced ` +
          `to ${layout.hostName}, so the engine there would not find it.`,
        { hint: `Move the files into the project's folder (projects/<name>/) and mount them from there.` },
      );
    }
    return path;
  };
}

/** For an engine envctl cannot sync to (tcp://): every bind of a workspace path is refused by name. */
export function unsyncedBindSource(localRoot: string, engineUrl: string): (path: string) => string {
  return (path) => {
    const rel = relative(localRoot, path);
    if (rel.startsWith('..') || isAbsolute(rel)) return path;
    throw new InputError(
      `A bind mount names ${path}, a folder on this machine, but the engine at ${engineUrl} runs elsewhere and envctl syncs project folders only over SSH.`,
      {
        hint: 'Point the workspace at the server with engine: ssh://user@host (workspace.yml), which syncs the project folders there.',
      },
    );
  };
}
