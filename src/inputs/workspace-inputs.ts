import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildInputs } from '../engine/build-hash.js';
import { envFileEntries } from '../compose/short-syntax.js';
import type { Desired } from '../reconcile/desired.js';
import { TEMPLATE_FILE } from '../templates/template-schema.js';
import { projectFolders, type Workspace } from '../workspace/load.js';
import { PROJECT_COMPOSE, PROJECT_CONFIG } from '../workspace/project-config.js';
import { WHICH_PROJECT } from '../workspace/root.js';
import { SETTINGS_FILE } from '../workspace/settings.js';
import type { RenderOutcome } from '../merge/render-outcome.js';

/** What a workspace's result depends on: the one list behind the build hash's inputs, the up stamp and the watcher. */
export interface WorkspaceInputs {
  /** Files (and the folders listed to find them) render read or looked for; absent ones count. */
  paths: string[];
  /** Folders in which any file is an input: a build copies them whole. */
  folders: string[];
}

export interface InputSources {
  workspace: Workspace;
  render: RenderOutcome;
  desired: Desired;
  composeDir: string;
}

/**
 * Every path render read or looked for outside compose/: which-project, workspace.yml, each listed project's
 * envctl.yml and compose.yml, its template as each template folder resolves it, its env files, and each
 * image's real build inputs (the Dockerfile and every file its COPY/ADD lines take from the context, at any
 * depth, less what .dockerignore excludes). Paths that did not exist count: creating one changes the result.
 */
export function workspaceInputs({ workspace, render, desired, composeDir }: InputSources): WorkspaceInputs {
  const paths = [join(workspace.root, WHICH_PROJECT), join(workspace.root, SETTINGS_FILE)];
  const folders: string[] = [];
  for (const project of workspace.projects) {
    paths.push(join(project.dir, PROJECT_CONFIG), join(project.dir, PROJECT_COMPOSE));
    if (!project.template) continue;
    for (const dir of workspace.templateDirs) paths.push(join(dir, project.template.name, TEMPLATE_FILE));
    paths.push(join(project.template.dir, project.template.declaration.compose));
  }
  for (const service of Object.values(render.merged.services ?? {}))
    paths.push(...envFileEntries(service).map((entry) => entry.path));
  for (const { build } of desired.services) {
    if (!build) continue;
    const inputs = build.inputs ?? buildInputs(build);
    paths.push(inputs.dockerfile, ...inputs.files.map((file) => join(build.context, file)), ...inputs.dirs);
    folders.push(...inputs.dirs);
  }
  // compose/ is envctl's own output, kept apart (the stamp signs it separately).
  const outside = (path: string) => !path.startsWith(`${composeDir}/`);
  return { paths: [...new Set(paths.filter(outside))], folders: [...new Set(folders.filter(outside))] };
}

/**
 * What may matter when the workspace does not load (a file that does not parse, a project newly listed):
 * every project's config files and every workspace template's top-level files, so that the fix is seen.
 */
export function fallbackInputs(root: string): WorkspaceInputs {
  const paths = [join(root, WHICH_PROJECT), join(root, SETTINGS_FILE)];
  for (const name of projectFolders(root))
    paths.push(join(root, 'projects', name, PROJECT_CONFIG), join(root, 'projects', name, PROJECT_COMPOSE));
  const templates = join(root, 'templates');
  for (const name of existsSync(templates) ? readdirSync(templates) : []) {
    const dir = join(templates, name);
    if (statSync(dir).isDirectory())
      paths.push(...readdirSync(dir).map((file) => join(dir, file)), join(dir, TEMPLATE_FILE));
  }
  return { paths, folders: [] };
}

export function mergeInputs(a: WorkspaceInputs, b: WorkspaceInputs): WorkspaceInputs {
  return { paths: [...new Set([...a.paths, ...b.paths])], folders: [...new Set([...a.folders, ...b.folders])] };
}
