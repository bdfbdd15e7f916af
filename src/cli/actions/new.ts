import { join, relative } from 'node:path';
import { newProject } from '../../scaffold/new-project.js';
import { BUILTIN_TEMPLATES } from '../../templates/builtin.js';
import { findWorkspaceRoot } from '../../workspace/root.js';
import { loadSettings } from '../../workspace/settings.js';
import type { GlobalOptions } from '../context.js';

/** envctl new: the project's files, and whether it is enabled. */
export function newAction(
  globals: GlobalOptions,
  project: string,
  options: { template: string; param: string[]; gpus?: string; enable?: boolean },
): void {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const written = newProject(
    root,
    project,
    { template: options.template, params: options.param, gpus: options.gpus, enable: options.enable },
    [join(root, 'templates'), BUILTIN_TEMPLATES],
  );
  for (const file of written) process.stdout.write(`created ${relative(process.cwd(), file)}\n`);
  process.stdout.write(
    options.enable
      ? `added ${project} to which-project: envctl up starts it\n`
      : `add "${project}" to which-project (or use --enable) to run it\n`,
  );
  const dotfiles = loadSettings(root).dotfiles;
  process.stdout.write(
    dotfiles
      ? `your dotfiles (${dotfiles}) are linked into its home, and their install script runs once\n`
      : 'tip: "dotfiles: ~/dotfiles" in workspace.yml carries your shell, git identity and editor setup into it\n',
  );
}
