import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InputError } from '../errors/envctl-error.js';
import { didYouMean, listOrNone } from '../util/suggest.js';
import { validateYaml } from '../util/validate.js';
import { YamlSource } from '../util/yaml-source.js';
import { TEMPLATE_FILE, templateSchema, type TemplateDeclaration } from './template-schema.js';

export interface Template {
  name: string;
  dir: string;
  declaration: TemplateDeclaration;
  /** template.yml, for the lines of its declarations. */
  source: YamlSource;
  /** The compose fragment, parsed but not yet rendered. */
  fragment: YamlSource;
}

/** Template folders, highest priority first: the workspace's own, then those shipped with envctl. */
export function templateNames(searchDirs: readonly string[]): string[] {
  const names = new Set<string>();
  for (const dir of searchDirs)
    for (const name of listFolders(dir)) if (existsSync(join(dir, name, TEMPLATE_FILE))) names.add(name);
  return [...names].sort();
}

export function findTemplateDir(name: string, searchDirs: readonly string[]): string | undefined {
  return searchDirs.map((dir) => join(dir, name)).find((dir) => existsSync(join(dir, TEMPLATE_FILE)));
}

export function loadTemplate(name: string, dir: string, displayRoot: string): Template {
  const show = (file: string) => relative(displayRoot, file) || file;
  const source = YamlSource.read(join(dir, TEMPLATE_FILE), show(join(dir, TEMPLATE_FILE)));
  const declaration = validateYaml(
    source,
    templateSchema,
    () => `See "Templates" in the README for what ${TEMPLATE_FILE} declares.`,
  );
  const fragmentFile = join(dir, declaration.compose);
  if (!existsSync(fragmentFile)) {
    throw new InputError(
      `${source.file}: the compose fragment "${declaration.compose}" does not exist in ${show(dir)}.`,
      {
        location: source.locate(['compose']),
        hint: `Create ${show(fragmentFile)}, or set "compose:" in ${TEMPLATE_FILE} to the fragment's file name.`,
      },
    );
  }
  const fragment = YamlSource.read(fragmentFile, show(fragmentFile));
  const template = { name, dir, declaration, source, fragment };
  checkServicesExist(template);
  checkMeanings(template);
  checkStarterFiles(template, show);
  return template;
}

/** Placeholders' namespaces that a parameter's `means` may not take. */
const NAMESPACES = ['params', 'ports', 'project', 'template', 'workspace', 'secrets', 'host'];

/** A parameter's `means` gives each of its choices the same names, and does not shadow a namespace. */
function checkMeanings(template: Template): void {
  for (const [name, spec] of Object.entries(template.declaration.params)) {
    if (!spec.means) continue;
    const location = template.source.locate(['params', name, 'means'], { key: true });
    const where = `${location.file}:${location.line}`;
    const choices = (spec.choices ?? []).map(String);
    const given = Object.keys(spec.means);
    const keys = Object.keys(Object.values(spec.means)[0] ?? {})
      .sort()
      .join(', ');
    const problem = NAMESPACES.includes(name)
      ? `parameter "${name}" has means:, but ${name}.* already names other values`
      : choices.length === 0
        ? `means: needs the parameter's choices:`
        : choices.some((choice) => !given.includes(choice)) || given.some((choice) => !choices.includes(choice))
          ? `means: has the choices ${given.join(', ')}, and the parameter's choices are ${choices.join(', ')}`
          : Object.values(spec.means).some((meaning) => Object.keys(meaning).sort().join(', ') !== keys)
            ? `every choice under means: names the same values (${keys})`
            : undefined;
    if (problem)
      throw new InputError(`${where}: ${problem}.`, {
        location,
        hint: 'Write means: with one entry per choice, each naming the same values, e.g. means: { lab: { path: lab }, notebook: { path: tree } }.',
      });
  }
}

/** The folder `envctl new` copies a template's starter files from. */
export const STARTER_DIR = 'starter';

function checkStarterFiles(template: Template, show: (file: string) => string): void {
  template.declaration.starter_files.forEach((file, index) => {
    const path = join(template.dir, STARTER_DIR, file);
    if (existsSync(path)) return;
    const location = template.source.locate(['starter_files', index]);
    throw new InputError(`${location.file}:${location.line}: the starter file ${show(path)} does not exist.`, {
      location,
      hint: `Create it, or take "${file}" out of starter_files.`,
    });
  });
}

/** Every service that template.yml points at must be a service of its fragment. */
function checkServicesExist(template: Template): void {
  const services = Object.keys((template.fragment.toJS() as { services?: object } | null)?.services ?? {});
  const { ports, secrets, gpu_services: gpuServices, user_services: userServices } = template.declaration;
  const references: Array<[string, Array<string | number>]> = [
    ...Object.entries(ports).map(([port, spec]): [string, Array<string | number>] => [
      spec.service,
      ['ports', port, 'service'],
    ]),
    ...Object.entries(secrets).flatMap(([secret, spec]) =>
      spec.services.map((service, index): [string, Array<string | number>] => [
        service,
        ['secrets', secret, 'services', index],
      ]),
    ),
    ...(gpuServices ?? []).map((service, index): [string, Array<string | number>] => [
      service,
      ['gpu_services', index],
    ]),
    ...userServices.map((service, index): [string, Array<string | number>] => [service, ['user_services', index]]),
  ];
  if (userServices.length && !('run_as' in template.declaration.params)) {
    const location = template.source.locate(['user_services']);
    throw new InputError(
      `${location.file}:${location.line}: a template with user_services declares the parameter run_as.`,
      {
        location,
        hint: 'Add under params: run_as: { default: user, choices: [user, root], description: ... }.',
      },
    );
  }
  for (const [service, path] of references) {
    if (services.includes(service)) continue;
    const location = template.source.locate(path);
    throw new InputError(
      `${location.file}:${location.line}: service "${service}" is not a service of ${template.fragment.file}.`,
      {
        location,
        hint: `${didYouMean(service, services)}Services there: ${listOrNone(services)}.`,
      },
    );
  }
}

function listFolders(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
}
