import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkComposeSource } from '../compose/schema.js';
import type { ComposeFile } from '../compose/compose-types.js';
import { InputError } from '../errors/envctl-error.js';
import { resolveParams } from '../templates/params.js';
import type { ParamValue } from '../templates/template-schema.js';
import { findTemplateDir, loadTemplate, templateNames, type Template } from '../templates/template.js';
import { didYouMean, listOrNone } from '../util/suggest.js';
import { validateYaml } from '../util/validate.js';
import { ComposeTagged, YamlSource } from '../util/yaml-source.js';
import {
  PROJECT_COMPOSE,
  PROJECT_CONFIG,
  PROJECT_CONFIG_HELP,
  projectConfigSchema,
  type ProjectConfig,
} from './project-config.js';
import { WHICH_PROJECT } from './root.js';
import { loadSettings, type WorkspaceSettings } from './settings.js';
import { parseWhichProject, PROJECT_NAME } from './which-project.js';
import { gpuRequestOf, type GpuRequest } from '../model/gpu-request.js';

export interface Project {
  name: string;
  dir: string;
  config: ProjectConfig;
  /** envctl.yml, absent for a project that has only a compose.yml. */
  configSource: YamlSource | undefined;
  template: Template | undefined;
  params: Record<string, ParamValue>;
  /** The project's own compose.yml, merged over what the template renders. */
  override: { source: YamlSource; model: ComposeFile } | undefined;
  gpus: GpuRequest;
  gpuSharing: 'exclusive' | 'shared';
  gpusOptional: boolean;
  /** On a swarm: the node's name and node labels it must run on (`placement:`); none elsewhere. */
  placement: { node: string | undefined; labels: Record<string, string> };
  /** The line of which-project that lists it. */
  listedAt: number;
}

export interface Workspace {
  root: string;
  settings: WorkspaceSettings;
  /** The projects listed in which-project, in its order. */
  projects: Project[];
  /** Every folder under projects/, listed or not. */
  available: string[];
  templateDirs: string[];
}

export interface LoadOptions {
  /** Templates shipped with envctl, used when the workspace has none of that name. */
  builtinTemplates?: string;
}

/** The load stage: which-project, workspace.yml and each listed project, validated; no I/O after this. */
export function loadWorkspace(root: string, options: LoadOptions = {}): Workspace {
  const settings = loadSettings(root);
  const available = projectFolders(root);
  const whichProject = join(root, WHICH_PROJECT);
  const entries = parseWhichProject(readFileSync(whichProject, 'utf8'), relative(root, whichProject), available);
  const templateDirs = [join(root, 'templates'), ...(options.builtinTemplates ? [options.builtinTemplates] : [])];
  const projects = entries.map((entry) => loadProject(root, entry.name, entry.line, templateDirs));
  return { root, settings, projects, available, templateDirs };
}

export function projectFolders(root: string): string[] {
  const dir = join(root, 'projects');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && PROJECT_NAME.test(entry.name))
    .map((entry) => entry.name)
    .sort();
}

export function loadProject(root: string, name: string, line: number, templateDirs: readonly string[]): Project {
  const dir = join(root, 'projects', name);
  const show = (file: string) => relative(root, file);
  const configFile = join(dir, PROJECT_CONFIG);
  const composeFile = join(dir, PROJECT_COMPOSE);
  const hasConfig = existsSync(configFile);
  if (!hasConfig && !existsSync(composeFile)) {
    throw new InputError(
      `${WHICH_PROJECT}:${line}: project "${name}" has neither ${show(configFile)} nor ${show(composeFile)}.`,
      {
        location: { file: WHICH_PROJECT, line },
        hint: `Create ${show(configFile)} naming a template (e.g. "template: jupyter"), or a plain Compose fragment at ${show(composeFile)}.`,
      },
    );
  }
  const configSource = hasConfig ? YamlSource.read(configFile, show(configFile)) : undefined;
  const config: ProjectConfig = configSource
    ? validateYaml(configSource, projectConfigSchema, () => PROJECT_CONFIG_HELP)
    : {};
  const template = config.template
    ? findAndLoadTemplate(config.template, configSource!, root, templateDirs)
    : undefined;
  const override = existsSync(composeFile) ? loadOverride(composeFile, show(composeFile)) : undefined;
  if (!template && !override) {
    const location = configSource!.locate([]);
    throw new InputError(
      `${location.file}: project "${name}" names no template and has no ${PROJECT_COMPOSE}, so it has nothing to run.`,
      {
        location,
        hint: `Add "template: <name>" (templates: ${listOrNone(templateNames(templateDirs))}), or write ${show(composeFile)}.`,
      },
    );
  }
  if (!template) rejectTemplateOnlyKeys(config, configSource);
  const params = template ? resolveParams(template, config.params ?? {}, configSource!) : {};
  if (template) checkPortNames(config, template, configSource!);
  return {
    name,
    dir,
    config,
    configSource,
    template,
    params,
    override,
    gpus: gpuRequestOf(config.gpus ?? template?.declaration.gpus),
    gpuSharing: config.gpu_sharing ?? 'exclusive',
    gpusOptional: config.gpus_optional ?? false,
    placement: placementOf(config.placement),
    listedAt: line,
  };
}

function findAndLoadTemplate(
  name: string,
  source: YamlSource,
  root: string,
  templateDirs: readonly string[],
): Template {
  const dir = findTemplateDir(name, templateDirs);
  if (!dir) {
    const location = source.locate(['template']);
    const names = templateNames(templateDirs);
    throw new InputError(`${location.file}:${location.line}: there is no template "${name}".`, {
      location,
      hint: `${didYouMean(name, names)}Templates: ${listOrNone(names)}. A template is a folder under templates/ holding template.yml.`,
    });
  }
  return loadTemplate(name, dir, root);
}

function loadOverride(file: string, shown: string): { source: YamlSource; model: ComposeFile } {
  const source = YamlSource.read(file, shown);
  const model = (source.toJS() ?? {}) as ComposeFile;
  if (typeof model !== 'object' || Array.isArray(model)) {
    throw new InputError(`${shown}: a compose fragment must be a mapping (services:, volumes:, ...).`, {
      location: { file: shown, line: 1 },
      hint: 'Start it with "services:" and the services to add or change.',
    });
  }
  checkComposeSource(source, stripTags(model));
  return { source, model };
}

/** The schema knows nothing of !reset/!override markers; check what they wrap. */
function stripTags(value: unknown): unknown {
  if (value instanceof ComposeTagged) {
    return stripTags(value.value);
  }
  if (Array.isArray(value)) return value.map(stripTags);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripTags(v)]));
  return value;
}

function rejectTemplateOnlyKeys(config: ProjectConfig, source: YamlSource | undefined): void {
  const key = (['params', 'ports'] as const).find((name) => config[name] !== undefined);
  if (!key || !source) return;
  const location = source.locate([key], { key: true });
  throw new InputError(`${location.file}:${location.line}: "${key}" needs a template, and this project names none.`, {
    location,
    hint: `Add "template: <name>", or set ports directly in the project's compose.yml.`,
  });
}

function checkPortNames(config: ProjectConfig, template: Template, source: YamlSource): void {
  const names = Object.keys(template.declaration.ports);
  for (const name of Object.keys(config.ports ?? {})) {
    if (names.includes(name)) continue;
    const location = source.locate(['ports', name], { key: true });
    throw new InputError(
      `${location.file}:${location.line}: template "${template.name}" has no port named "${name}".`,
      {
        location,
        hint: `${didYouMean(name, names)}Its ports: ${listOrNone(names)}.`,
      },
    );
  }
}

function placementOf(spec: ProjectConfig['placement']): Project['placement'] {
  if (spec === undefined) return { node: undefined, labels: {} };
  if (typeof spec === 'string') return { node: spec, labels: {} };
  return {
    node: spec.node,
    labels: Object.fromEntries(Object.entries(spec.labels ?? {}).map(([k, v]) => [k, String(v)])),
  };
}
