import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { BuildSpec } from './desired.js';

/**
 * A content hash of what an image is built from: the Dockerfile, the build arguments, the files its
 * COPY and ADD lines take from the context, and the dependency files the template declares. A file that
 * is only mounted (a notebook) is not among them, so editing it rebuilds nothing.
 */
export function buildHash(build: BuildSpec, inputs: BuildInputs = buildInputs(build)): string {
  const hash = createHash('sha256');
  hash.update(inputs.dockerfileText).update('\0').update(JSON.stringify(Object.entries(build.args).sort()));
  for (const file of inputs.files) {
    hash.update('\0').update(file).update('\0');
    const path = join(build.context, file);
    hash.update(existsSync(path) ? readFileSync(path) : '(absent)');
  }
  return hash.digest('hex');
}

export interface BuildInputs {
  dockerfile: string;
  dockerfileText: string;
  /** Context-relative paths of the files the image takes from its context. */
  files: string[];
  /** Folders listed to find them: a file added there can change the image. */
  dirs: string[];
}

/** What an image is built from, without reading the files' contents. */
export function buildInputs(build: BuildSpec): BuildInputs {
  const dockerfile = resolve(build.context, build.dockerfile ?? 'Dockerfile');
  const dockerfileText = existsSync(dockerfile) ? readFileSync(dockerfile, 'utf8') : '';
  const dirs: string[] = [];
  const files = inputFiles(build.context, [...copySources(dockerfileText), ...build.dependencyFiles], dirs);
  return { dockerfile, dockerfileText, files, dirs };
}

/** The absolute paths an image's build read or listed: what the up stamp watches (src/up-stamp/). */
export function buildInputPaths(build: BuildSpec, inputs: BuildInputs = buildInputs(build)): string[] {
  return [inputs.dockerfile, ...inputs.files.map((file) => join(build.context, file)), ...inputs.dirs];
}

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
function inputFiles(context: string, sources: readonly string[], dirs: string[]): string[] {
  const files = new Set<string>();
  let everything: string[] | undefined;
  const all = () => (everything ??= walk(context, context, dirs));
  for (const source of sources) {
    const clean = source.replace(/^\.\//, '').replace(/\/$/, '');
    if (/[*?[]/.test(clean)) {
      const pattern = globToRegExp(clean);
      for (const file of all()) if (pattern.test(file)) files.add(file);
    } else if (clean === '.' || clean === '') {
      for (const file of all()) files.add(file);
    } else {
      const path = join(context, clean);
      if (existsSync(path) && statSync(path).isDirectory()) for (const file of walk(path, context, dirs)) files.add(file);
      else files.add(clean);
    }
  }
  return [...files].sort();
}

function walk(dir: string, context: string, dirs: string[]): string[] {
  dirs.push(dir);
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === '.git') return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return walk(path, context, dirs);
    return entry.isFile() ? [relative(context, path).split(sep).join('/')] : [];
  });
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}
