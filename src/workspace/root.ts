import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../errors/envctl-error.js';

export const WHICH_PROJECT = 'which-project';

/**
 * The workspace root: `explicit` when given, else the nearest folder upward from `start` holding which-project.
 * Always its real path: the root names the workspace on the engine (labels, project name), so a workspace
 * reached through a symbolic link must be the same workspace, not a second copy of it.
 */
export function findWorkspaceRoot(start: string, explicit?: string): string {
  return realpathSync(findRoot(start, explicit));
}

function findRoot(start: string, explicit?: string): string {
  if (explicit !== undefined) {
    const root = resolve(start, explicit);
    if (!existsSync(join(root, WHICH_PROJECT))) {
      throw new InputError(`${root} is not an envctl workspace: it has no ${WHICH_PROJECT} file.`, {
        location: { file: join(root, WHICH_PROJECT) },
        hint: `Point --workspace at the folder that holds ${WHICH_PROJECT}, or create that file there (one project name a line).`,
      });
    }
    return root;
  }
  let folder = resolve(start);
  for (;;) {
    const candidate = join(folder, WHICH_PROJECT);
    if (existsSync(candidate) && statSync(candidate).isFile()) return folder;
    const parent = dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  throw new InputError(
    `No envctl workspace here: no ${WHICH_PROJECT} file in ${resolve(start)} or any folder above it.`,
    {
      location: { file: resolve(start) },
      hint: `Run envctl from inside a workspace, pass --workspace DIR, or create a ${WHICH_PROJECT} file listing your projects.`,
    },
  );
}
