import { InputError } from '../errors/envctl-error.js';
import { didYouMean } from '../util/suggest.js';
import type { Workspace } from '../workspace/load.js';

/** The projects named on the command line, each of which must be listed in which-project; all when none. */
export function selectProjects(workspace: Workspace, names: readonly string[]): Set<string> | undefined {
  if (names.length === 0) return undefined;
  const listed = workspace.projects.map((project) => project.name);
  for (const name of names) {
    if (!listed.includes(name)) {
      throw new InputError(`Project "${name}" is not in which-project.`, {
        location: { file: 'which-project' },
        hint:
          `${didYouMean(name, listed)}Listed projects: ${listed.join(', ') || '(none)'}. ` +
          'which-project is what runs: add the project there first.',
      });
    }
  }
  return new Set(names);
}
