import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import dockerignoreModule, { type Ignore } from '@balena/dockerignore';
import type { BuildInputs, BuildSpec } from './engine.js';
import { dockerfileText as withUserLayer } from './user-layer.js';

// A CommonJS module whose types say `export default`: under Node's ES module loader the function is the module itself.
const dockerignore = ((dockerignoreModule as { default?: unknown }).default ?? dockerignoreModule) as () => Ignore;

/**
 * A content hash of what an image is built from: the Dockerfile, the build arguments, the files its
 * COPY and ADD lines take from the context, and the dependency files the template declares. A file that
 * is only mounted (a notebook) is not among them, so editing it rebuilds nothing.
 */
export function buildHash(build: BuildSpec, inputs: BuildInputs = buildInputs(build)): string {
  const hash = createHash('sha256');
  hash
    .update(inputs.dockerfileText)
    .update('\0')
    .update(JSON.stringify(Object.entries(build.args).sort()));
  for (const file of inputs.files) {
    hash.update('\0').update(file).update('\0');
    const path = join(build.context, file);
    hash.update(existsSync(path) ? readFileSync(path) : '(absent)');
  }
  return hash.digest('hex');
}

/** What an image is built from, without reading the files' contents. */
export function buildInputs(build: BuildSpec): BuildInputs {
  const dockerfile = resolve(build.context, build.dockerfile ?? 'Dockerfile');
  const own = existsSync(dockerfile) ? readFileSync(dockerfile, 'utf8') : '';
  const dockerfileText = withUserLayer(own, build.userLayer);
  const dirs: string[] = [];
  const ignored = contextIgnore(build.context);
  const files = inputFiles(build.context, [...copySources(own), ...build.dependencyFiles], dirs, ignored).filter(
    (file) => !ignored(file),
  );
  const ignoreFile = join(build.context, DOCKERIGNORE);
  const entries = contextEntries(copySources(own), build.dependencyFiles);
  return {
    dockerfile,
    dockerfileText,
    files: existsSync(ignoreFile) ? [...files, DOCKERIGNORE] : files,
    dirs,
    entries,
  };
}

/**
 * The paths of the context a build needs, as the Dockerfile names them; undefined means the whole context
 * (a glob, ".", or a $variable, which only the build resolves). Everything else stays home: a project's
 * data/ folder is never sent to the engine unless the Dockerfile copies it.
 */
export function contextEntries(sources: readonly string[], dependencyFiles: readonly string[]): string[] | undefined {
  const entries = new Set<string>();
  for (const source of [...sources, ...dependencyFiles]) {
    if (/^[a-z]+:\/\//i.test(source)) continue; // ADD of a URL reads no context
    const clean = source.replace(/^\.\//, '').replace(/\/$/, '');
    if (clean === '' || clean === '.' || /[*?[$]/.test(clean) || clean.startsWith('..')) return undefined;
    entries.add(clean);
  }
  return [...entries].sort();
}

export const DOCKERIGNORE = '.dockerignore';

/**
 * The context's .dockerignore, read with Docker's own rules (@balena/dockerignore, which dockerode uses):
 * a file it excludes never reaches the build, so it is no input of the image. `.git` is always left out.
 */
export function contextIgnore(context: string): ContextIgnore {
  const path = join(context, DOCKERIGNORE);
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const rules = dockerignore().add('.git').add(text.split(/\r?\n/));
  // The Dockerfile and .dockerignore always travel, as the docker CLI sends them.
  const ignores = (file: string) => file !== DOCKERIGNORE && rules.ignores(file);
  // A folder can be skipped whole unless a "!" exception may take something back from inside it.
  const hasExceptions = /^\s*!/m.test(text);
  return Object.assign(ignores, { skipsFolder: (folder: string) => !hasExceptions && rules.ignores(folder) });
}

export type ContextIgnore = ((file: string) => boolean) & { skipsFolder?: (folder: string) => boolean };

/** The sources of COPY and ADD lines that read the build context (not those --from another stage). */
export function copySources(dockerfile: string): string[] {
  const joined = dockerfile.replace(/\\\r?\n/g, ' ');
  return joined.split(/\r?\n/).flatMap((line) => {
    const match = /^\s*(COPY|ADD)\s+(.*)$/i.exec(line);
    if (!match) return [];
    const words = match[2]!.trim().split(/\s+/);
    if (words.some((word) => word.startsWith('--from='))) return [];
    const args = words.filter((word) => !word.startsWith('--'));
    if (args[0]?.startsWith('[')) return (JSON.parse(args.join(' ')) as string[]).slice(0, -1);
    return args.slice(0, -1);
  });
}

/** The context's files that the sources name: plain paths, folders (everything in them) and glob patterns. */
function inputFiles(context: string, sources: readonly string[], dirs: string[], ignored: ContextIgnore): string[] {
  const files = new Set<string>();
  let everything: string[] | undefined;
  const walk = (dir: string) => walkFolder(dir, context, dirs, ignored);
  const all = () => (everything ??= walk(context));
  for (const source of sources) {
    const clean = source.replace(/^\.\//, '').replace(/\/$/, '');
    if (/[*?[]/.test(clean)) {
      const pattern = globToRegExp(clean);
      for (const file of all()) if (pattern.test(file)) files.add(file);
    } else if (clean === '.' || clean === '') {
      for (const file of all()) files.add(file);
    } else {
      const path = join(context, clean);
      if (existsSync(path) && statSync(path).isDirectory()) for (const file of walk(path)) files.add(file);
      else files.add(clean);
    }
  }
  return [...files].sort();
}

function walkFolder(dir: string, context: string, dirs: string[], ignored: ContextIgnore): string[] {
  dirs.push(dir);
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    const file = relative(context, path).split(sep).join('/');
    if (entry.isDirectory()) return ignored.skipsFolder?.(file) ? [] : walkFolder(path, context, dirs, ignored);
    return entry.isFile() ? [file] : [];
  });
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}
