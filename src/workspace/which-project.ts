import { InputError } from '../errors/envctl-error.js';
import { didYouMean, listOrNone } from '../util/suggest.js';

export interface ProjectEntry {
  name: string;
  line: number;
}

/** What Compose accepts as a project name, which envctl uses as a prefix of every service. */
export const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** The names which-project lists, without checking them: comments and blank lines dropped. */
export function listedNames(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((raw) => raw.replace(/#.*$/, '').trim())
    .filter((name) => name !== '');
}

/**
 * Parses which-project: one name a line, `#` starts a comment, blank lines ignored.
 * `existing` is the list of folders under projects/, used to reject unknown names.
 */
export function parseWhichProject(text: string, file: string, existing: readonly string[]): ProjectEntry[] {
  const entries: ProjectEntry[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const name = raw.replace(/#.*$/, '').trim();
    if (name === '') return;
    const location = { file, line };
    if (!PROJECT_NAME.test(name)) {
      throw new InputError(`${file}:${line}: "${name}" is not a valid project name.`, {
        location,
        hint:
          `A project name is lowercase letters, digits, "-" and "_", starting with a letter or digit, one a line. ` +
          `${didYouMean(name.toLowerCase(), existing)}Projects that exist: ${listOrNone(existing)}.`,
      });
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw new InputError(`${file}:${line}: project "${name}" is listed twice (first on line ${earlier}).`, {
        location,
        hint: `Remove one of the two lines; a project runs once.`,
      });
    }
    if (!existing.includes(name)) {
      throw new InputError(`${file}:${line}: there is no project "${name}" (no folder projects/${name}/).`, {
        location,
        hint: `${didYouMean(name, existing)}Projects that exist: ${listOrNone(existing)}. Fix the name, or create projects/${name}/envctl.yml.`,
      });
    }
    seen.set(name, line);
    entries.push({ name, line });
  });
  return entries;
}

/**
 * Project names given on the command line (down, restart, logs) must name a project that exists: a folder
 * under projects/, or one the engine still runs for this workspace. A typo is an error, not "nothing ran".
 */
export function checkProjectArguments(names: readonly string[], known: readonly string[]): void {
  const sorted = [...new Set(known)].sort();
  for (const name of names) {
    const project = name.split('/')[0]!;
    if (sorted.includes(project)) continue;
    throw new InputError(
      `There is no project "${project}" in this workspace (no folder projects/${project}/, and nothing of it on the engine).`,
      {
        hint: `${didYouMean(project, sorted)}Projects: ${listOrNone(sorted)}.`,
      },
    );
  }
}
