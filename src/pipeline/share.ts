import {
  appendFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { buildInputs } from '../engine/build-hash.js';
import type { Engine } from '../engine/engine.js';
import { InputError } from '../errors/envctl-error.js';
import { ENVCTL_BUILD_HASH, LABEL } from '../model/labels.js';
import { rebasePaths } from '../compose/paths.js';
import { scalarText } from '../compose/scalar.js';
import { readArchive, sameContent, writeArchive, IMAGES, type ArchiveFile, type Manifest } from '../share/archive.js';
import { BUILTIN_TEMPLATES } from '../templates/builtin.js';
import { templateNames } from '../templates/template.js';
import { didYouMean } from '../util/suggest.js';
import { loadProject, projectFolders, type Project } from '../workspace/load.js';
import { PROJECT_COMPOSE, PROJECT_CONFIG } from '../workspace/project-config.js';
import { WHICH_PROJECT } from '../workspace/root.js';
import { listedNames, PROJECT_NAME } from '../workspace/which-project.js';

export interface ExportOptions {
  output: string;
  withData: boolean;
  envctlVersion: string;
}

/**
 * envctl export: one tar file with the project's images (as `docker save` writes them), its envctl.yml,
 * compose.yml, the files its builds read, the template when it is the workspace's own, and a manifest with
 * versions, image ids and checksums; with data, every file of the project folder. Written under another name
 * and renamed at the end, so a failed export leaves no half file.
 */
export async function exportProject(
  engine: Engine,
  root: string,
  name: string,
  options: ExportOptions,
  progress: (line: string) => void,
): Promise<Manifest['images']> {
  const project = openProject(root, name);
  const images = await projectImages(engine, root, name);
  const work = mkdtempSync(join(tmpdir(), 'envctl-export-'));
  try {
    progress(`saving ${images.length} image(s)`);
    const saved = join(work, IMAGES);
    const counter = byteCounter('saving images', progress);
    const writing = pipeline(counter, createWriteStream(saved));
    await engine.saveImages(
      images.map((image) => image.reference ?? image.id),
      counter,
    );
    await writing;
    const template =
      project.template && isInside(join(root, 'templates'), project.template.dir) ? project.template : undefined;
    const files: ArchiveFile[] = [
      ...projectFiles(project, options.withData).map((path) => ({
        name: `project/${relative(project.dir, path)}`,
        path,
      })),
      ...(template
        ? treeFiles(template.dir).map((path) => ({ name: `template/${relative(template.dir, path)}`, path }))
        : []),
      { name: IMAGES, path: saved },
    ];
    const partial = `${options.output}.partial`;
    await writeArchive(
      partial,
      {
        format: 'envctl-export',
        version: 1,
        envctl: options.envctlVersion,
        createdAt: new Date().toISOString(),
        project: name,
        template: project.template ? { name: project.template.name, included: template !== undefined } : null,
        withData: options.withData,
        images,
      },
      files,
      progress,
    );
    renameSync(partial, options.output);
    return images;
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(`${options.output}.partial`, { force: true });
  }
}

export interface ImportOptions {
  /** The project's name here; the exported one when absent. */
  as?: string;
  /** Add it to which-project. */
  enable?: boolean;
}

/**
 * envctl import: the export checked whole in a staging folder first (a damaged or foreign file is refused and
 * nothing is restored), then the images loaded, then the project folder (and the template it carries) moved
 * into place. `up` then runs it without building: its images carry their build hash, which the plan finds.
 */
export async function importProject(
  engine: Engine,
  root: string,
  file: string,
  options: ImportOptions,
  progress: (line: string) => void,
): Promise<{ project: string; manifest: Manifest }> {
  if (!existsSync(file))
    throw new InputError(`${file} does not exist.`, { hint: 'Name the file envctl export wrote.' });
  // Staged beside the workspace's folders, on the same file system, so that moving into place is a rename.
  for (const folder of ['compose', 'projects', 'templates']) mkdirSync(join(root, folder), { recursive: true });
  const staging = mkdtempSync(join(root, 'compose', '.import-'));
  try {
    progress(`checking ${file}`);
    const manifest = await readArchive(file, staging);
    const name = options.as ?? manifest.project;
    const target = checkTarget(root, name);
    const templateTarget = checkTemplate(root, manifest, staging);
    progress(`loading ${manifest.images.length} image(s)`);
    const counter = byteCounter('loading images', progress);
    await Promise.all([pipeline(createReadStream(join(staging, IMAGES)), counter), engine.loadImages(counter)]);
    renameSync(join(staging, 'project'), target);
    if (templateTarget) renameSync(join(staging, 'template'), templateTarget);
    if (options.enable && !listedNames(readFileSync(join(root, WHICH_PROJECT), 'utf8')).includes(name))
      appendFileSync(join(root, WHICH_PROJECT), `${name}\n`);
    return { project: name, manifest };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** A stream that passes everything through and says, at most once a second, how many MB went by. */
function byteCounter(what: string, progress: (line: string) => void): Transform {
  let bytes = 0;
  let said = Date.now();
  const megabytes = () => Math.round(bytes / 2 ** 20);
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (Date.now() - said >= 1000) {
        said = Date.now();
        progress(`${what}: ${megabytes()} MB`);
      }
      done(null, chunk);
    },
    flush(done) {
      progress(`${what}: ${megabytes()} MB, done`);
      done();
    },
  });
}

function openProject(root: string, name: string): Project {
  const folders = projectFolders(root);
  if (!folders.includes(name))
    throw new InputError(`There is no project "${name}" in this workspace.`, {
      hint: `${didYouMean(name, folders)}Projects: ${folders.join(', ') || '(none)'}.`,
    });
  return loadProject(root, name, 0, [join(root, 'templates'), BUILTIN_TEMPLATES]);
}

/** The images the project's containers run: envctl's builds by id (their hash finds them again), others by name. */
async function projectImages(engine: Engine, root: string, name: string): Promise<Manifest['images']> {
  const containers = (await engine.containers(LABEL.root, root)).filter((c) => c.labels[LABEL.project] === name);
  if (containers.length === 0)
    throw new InputError(`Project "${name}" has not run on this engine, so it has no images to export.`, {
      hint: `Run "envctl up -d ${name}" first (it must be listed in which-project), then export it.`,
    });
  const builds = new Map((await engine.builds()).map((build) => [build.id, build]));
  const unique = new Map(containers.map((c) => [c.imageId, c]));
  return [...unique.values()].map((c) => {
    const build = builds.get(c.imageId);
    return build
      ? { id: c.imageId, reference: null, buildHash: build.labels[ENVCTL_BUILD_HASH] ?? null }
      : { id: c.imageId, reference: c.image, buildHash: null };
  });
}

/** envctl.yml, compose.yml, the template's dependency files and what the project's own builds read; or everything. */
function projectFiles(project: Project, withData: boolean): string[] {
  if (withData) return treeFiles(project.dir);
  const named = [PROJECT_CONFIG, PROJECT_COMPOSE, ...(project.template?.declaration.dependency_files ?? [])].map(
    (file) => join(project.dir, file),
  );
  return [...new Set([...named, ...ownBuildFiles(project)])].filter((path) => existsSync(path)).sort();
}

function ownBuildFiles(project: Project): string[] {
  if (!project.override) return [];
  const model = rebasePaths(structuredClone(project.override.model), project.dir);
  return Object.values(model.services ?? {}).flatMap((service) => {
    if (service?.build === undefined) return [];
    const build = typeof service.build === 'string' ? { context: service.build } : service.build;
    const context = scalarText(build.context ?? project.dir);
    const dockerfile = build.dockerfile === undefined ? undefined : scalarText(build.dockerfile);
    const inputs = buildInputs({ context, dockerfile, args: {}, dependencyFiles: [] });
    return [inputs.dockerfile, ...inputs.files.map((file) => join(context, file))].filter((path) =>
      isInside(project.dir, path),
    );
  });
}

function treeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? treeFiles(path) : entry.isFile() ? [path] : [];
    })
    .sort();
}

function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** projects/<name> must be free: an import never overwrites a project's files. */
function checkTarget(root: string, name: string): string {
  if (!PROJECT_NAME.test(name))
    throw new InputError(`"${name}" is not a project name.`, {
      hint: 'A project name is lowercase letters, digits, "-" and "_", starting with a letter or digit (--as NAME).',
    });
  const target = join(root, 'projects', name);
  if (existsSync(target))
    throw new InputError(`A project "${name}" already exists in this workspace (${target}).`, {
      hint: `Import it under another name with --as <name>, or move projects/${name} away first.`,
    });
  return target;
}

/** Where the export's own template goes, or undefined when it is built in, or already here and the same. */
function checkTemplate(root: string, manifest: Manifest, staging: string): string | undefined {
  const template = manifest.template;
  if (!template) return undefined;
  const target = join(root, 'templates', template.name);
  if (!template.included) {
    if (!templateNames([join(root, 'templates'), BUILTIN_TEMPLATES]).includes(template.name))
      throw new InputError(`The project uses the template "${template.name}", which this envctl does not have.`, {
        hint: `Copy templates/${template.name} from the workspace it came from, or use an envctl that has it.`,
      });
    return undefined;
  }
  if (!existsSync(target)) return target;
  const carried = treeFiles(join(staging, 'template'));
  const same = carried.every((path) => {
    const here = join(target, relative(join(staging, 'template'), path));
    return existsSync(here) && statSync(here).isFile() && sameContent(here, path);
  });
  if (same) return undefined;
  throw new InputError(
    `This workspace has its own template "${template.name}", which differs from the one in the export.`,
    {
      hint: `Rename templates/${template.name} here, or import into a workspace without it.`,
    },
  );
}

export const resolveOutput = (project: string, output: string | undefined): string =>
  resolve(output ?? `${project}.envctl.tar`);
