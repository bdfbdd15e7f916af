import { containerEngineAt } from '../../pipeline/deployments.js';
import { relative } from 'node:path';
import { exportProject, importProject, resolveOutput } from '../../pipeline/share.js';
import { findWorkspaceRoot } from '../../workspace/root.js';
import type { GlobalOptions } from '../context.js';
import { color } from '../terminal.js';

/** Progress of long work on stderr, when someone watches it. */
const progress = (line: string) => {
  if (process.stderr.isTTY) process.stderr.write(color.dim(`${line}\n`));
};

/** envctl export: the project as one file, to copy to a lab mate or keep as a backup. */
export async function exportAction(
  globals: GlobalOptions,
  project: string,
  options: { output?: string; withData?: boolean },
  version: string,
): Promise<void> {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const output = resolveOutput(project, options.output);
  const images = await exportProject(
    await containerEngineAt(root, globals.engine),
    root,
    project,
    { output, withData: options.withData ?? false, envctlVersion: version },
    progress,
  );
  process.stdout.write(
    `exported ${project} (${images.length} image(s)${options.withData ? ', with its files' : ''}) to ${relative(process.cwd(), output) || output}\n` +
      `on the other side: envctl import ${relative(process.cwd(), output) || output} --enable && envctl up -d\n`,
  );
}

/** envctl import: a project from an export file into this workspace. */
export async function importAction(
  globals: GlobalOptions,
  file: string,
  options: { as?: string; enable?: boolean },
): Promise<void> {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const { project } = await importProject(await containerEngineAt(root, globals.engine), root, file, options, progress);
  process.stdout.write(
    `imported ${project} into projects/${project}` +
      (options.enable ? '; listed in which-project: envctl up runs it without building\n' : '\n') +
      (options.enable ? '' : `add "${project}" to which-project (or import with --enable) to run it\n`),
  );
}
