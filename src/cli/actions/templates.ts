import { join } from 'node:path';
import { InputError } from '../../errors/envctl-error.js';
import { BUILTIN_TEMPLATES } from '../../templates/builtin.js';
import { findTemplateDir, loadTemplate, templateNames, type Template } from '../../templates/template.js';
import { didYouMean, listOrNone } from '../../util/suggest.js';
import { findWorkspaceRoot } from '../../workspace/root.js';
import type { GlobalOptions } from '../context.js';
import { printJson, table } from '../output.js';

/** Template folders: the workspace's own first (when in one), then the built-in ones. */
function templateDirs(globals: GlobalOptions): string[] {
  try {
    return [join(findWorkspaceRoot(process.cwd(), globals.workspace), 'templates'), BUILTIN_TEMPLATES];
  } catch {
    return [BUILTIN_TEMPLATES];
  }
}

function describe(template: Template) {
  const { declaration } = template;
  return {
    name: template.name,
    source: template.dir.startsWith(BUILTIN_TEMPLATES) ? 'built-in' : 'workspace',
    dir: template.dir,
    description: declaration.description,
    params: Object.fromEntries(
      Object.entries(declaration.params).map(([name, spec]) => [
        name,
        { default: spec.default, description: spec.description, choices: spec.choices ?? null },
      ]),
    ),
    ports: Object.fromEntries(
      Object.entries(declaration.ports).map(([name, spec]) => [
        name,
        { service: spec.service, container: spec.container, host: spec.host, url: spec.url ?? null },
      ]),
    ),
    gpus: declaration.gpus,
    dependencyFiles: declaration.dependency_files,
    secrets: Object.keys(declaration.secrets),
  };
}

function loadAll(globals: GlobalOptions): Template[] {
  const dirs = templateDirs(globals);
  return templateNames(dirs).map((name) => loadTemplate(name, findTemplateDir(name, dirs)!, process.cwd()));
}

/** envctl templates: each template with its description, parameters, ports and GPU default. */
export function listTemplatesAction(globals: GlobalOptions, options: { json?: boolean }): void {
  const templates = loadAll(globals).map(describe);
  if (options.json) return printJson(templates);
  const rows = templates.map((t) => [
    t.name,
    t.source,
    t.description,
    Object.entries(t.params)
      .map(([name, spec]) => `${name}=${String(spec.default)}`)
      .join(' ') || '-',
    Object.entries(t.ports)
      .map(([name, spec]) => `${name}:${spec.container}`)
      .join(' ') || '-',
    String(t.gpus),
  ]);
  process.stdout.write(`${table(['TEMPLATE', 'FROM', 'DESCRIPTION', 'PARAMETERS', 'PORTS', 'GPUS'], rows)}\n`);
}

/** envctl templates show NAME: one template in full. */
export function showTemplateAction(globals: GlobalOptions, name: string, options: { json?: boolean }): void {
  const dirs = templateDirs(globals);
  const dir = findTemplateDir(name, dirs);
  if (!dir) {
    const names = templateNames(dirs);
    throw new InputError(`There is no template "${name}".`, {
      hint: `${didYouMean(name, names)}Templates: ${listOrNone(names)}.`,
    });
  }
  const t = describe(loadTemplate(name, dir, process.cwd()));
  if (options.json) return printJson(t);
  const lines = [
    `${t.name} (${t.source}: ${t.dir})`,
    `  ${t.description}`,
    '',
    'Parameters:',
    ...Object.entries(t.params).map(
      ([param, spec]) =>
        `  ${param} = ${JSON.stringify(spec.default)}${spec.choices ? ` (one of ${spec.choices.join(', ')})` : ''}: ${spec.description}`,
    ),
    'Ports:',
    ...Object.entries(t.ports).map(
      ([port, spec]) =>
        `  ${port}: service ${spec.service}, container ${spec.container}, preferred host ${spec.host}${spec.url ? `, ${spec.url}` : ''}`,
    ),
    `GPUs by default: ${String(t.gpus)}`,
    `Generated secrets: ${t.secrets.join(', ') || 'none'}`,
    `Dependency files: ${t.dependencyFiles.join(', ') || 'none'}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
