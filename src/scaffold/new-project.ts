import { existsSync, readFileSync, rmSync } from 'node:fs';
import { FileBatch } from '../util/file-batch.js';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { InputError } from '../errors/envctl-error.js';
import { resolveParams } from '../templates/params.js';
import { findTemplateDir, loadTemplate, STARTER_DIR, templateNames } from '../templates/template.js';
import { didYouMean, listOrNone } from '../util/suggest.js';
import { YamlSource } from '../util/yaml-source.js';
import { PROJECT_CONFIG } from '../workspace/project-config.js';
import { WHICH_PROJECT } from '../workspace/root.js';
import { listedNames, PROJECT_NAME } from '../workspace/which-project.js';
import { gpuSpecSchema } from '../model/gpu-request.js';

/** Starting contents of dependency files a template reads, so the first build has them. */
const DEPENDENCY_STARTERS: Record<string, (project: string) => string> = {
  'requirements.txt': () =>
    '# Python packages of this project, one a line (pip install -r); envctl rebuilds when this changes.\n',
  'environment.yml': (project) =>
    `# The conda environment of this project; envctl rebuilds its image when this changes.\nname: ${project}\nchannels:\n  - ` +
    `conda-forge\ndependencies:\n  - python=3.11\n  - pip\n`,
};

export interface NewProjectOptions {
  template: string;
  params: string[];
  gpus?: string;
  enable?: boolean;
}

/** envctl new: projects/<name>/envctl.yml and the template's dependency files, validated like up would. */
export function newProject(
  root: string,
  name: string,
  options: NewProjectOptions,
  templateDirs: readonly string[],
): string[] {
  if (!PROJECT_NAME.test(name)) {
    throw new InputError(`"${name}" is not a valid project name.`, {
      hint: 'A project name is lowercase letters, digits, "-" and "_", starting with a letter or digit (e.g. "intro-ml").',
    });
  }
  const dir = join(root, 'projects', name);
  if (existsSync(dir)) {
    throw new InputError(`Project "${name}" already exists (${dir}); envctl new does not overwrite a project.`, {
      location: { file: dir },
      hint: `Edit ${join(dir, PROJECT_CONFIG)}, or choose another name.`,
    });
  }
  const templateDir = findTemplateDir(options.template, templateDirs);
  if (!templateDir) {
    const names = templateNames(templateDirs);
    throw new InputError(`There is no template "${options.template}".`, {
      hint: `${didYouMean(options.template, names)}Templates: ${listOrNone(names)}.`,
    });
  }
  const template = loadTemplate(options.template, templateDir, root);
  const config: Record<string, unknown> = { template: options.template };
  const params = Object.fromEntries(options.params.map((pair) => parseParam(pair, template.declaration.params)));
  if (Object.keys(params).length) config.params = params;
  if (options.gpus !== undefined) config.gpus = parseGpus(options.gpus);
  const text = stringify(config);
  // Check the parameters as up will, before anything is written.
  resolveParams(template, params, YamlSource.parse(text, join('projects', name, PROJECT_CONFIG)));

  // All of it or nothing: a full disk or a read-only folder leaves no half project.
  const batch = new FileBatch();
  const written = [join(dir, PROJECT_CONFIG)];
  try {
    batch.write(written[0]!, text);
    for (const file of template.declaration.dependency_files) {
      const starter = DEPENDENCY_STARTERS[file];
      batch.write(join(dir, file), starter ? starter(name) : '');
      written.push(join(dir, file));
    }
    for (const file of template.declaration.starter_files) {
      batch.write(join(dir, file), readFileSync(join(templateDir, STARTER_DIR, file), 'utf8'));
      written.push(join(dir, file));
    }
    if (options.enable) enable(root, name, batch);
    batch.commit();
  } catch (error) {
    batch.abort();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return written;
}

function enable(root: string, name: string, batch: FileBatch): void {
  const file = join(root, WHICH_PROJECT);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (listedNames(text).includes(name)) return;
  batch.write(file, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${name}\n`);
}

function parseParam(
  pair: string,
  declared: Record<string, { default: string | number | boolean }>,
): [string, string | number | boolean] {
  const at = pair.indexOf('=');
  if (at <= 0) throw new InputError(`--param "${pair}" is not NAME=VALUE.`, { hint: 'Write --param python=3.12.' });
  const key = pair.slice(0, at);
  const raw = pair.slice(at + 1);
  const type = typeof declared[key]?.default;
  if (type === 'number' && raw !== '' && !Number.isNaN(Number(raw))) return [key, Number(raw)];
  if (type === 'boolean' && (raw === 'true' || raw === 'false')) return [key, raw === 'true'];
  return [key, raw];
}

function parseGpus(text: string): unknown {
  const value = /^\d+$/.test(text)
    ? Number(text)
    : text.includes(',') || /^GPU-|^MIG-/.test(text)
      ? text.split(',').map((id) => (/^\d+$/.test(id) ? Number(id) : id))
      : text;
  const checked = gpuSpecSchema.safeParse(value);
  if (!checked.success)
    throw new InputError(`--gpus "${text}" is not a GPU request.`, {
      hint: 'Write --gpus 1, --gpus all, --gpus none, or --gpus 0,1 (indexes or GPU-/MIG- UUIDs).',
    });
  return checked.data;
}
