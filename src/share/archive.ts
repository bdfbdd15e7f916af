import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { InputError } from '../errors/envctl-error.js';

/** The first entry of an export: what it holds, with a checksum of every other entry. */
export interface Manifest {
  format: typeof FORMAT;
  version: typeof VERSION;
  /** The envctl that wrote it. */
  envctl: string;
  createdAt: string;
  project: string;
  /** The template the project names, and whether the export carries it (a workspace's own) or not (built-in). */
  template: { name: string; included: boolean } | null;
  withData: boolean;
  /** The images, as the engine saved them: built ones by id (found again by their build hash), others by name. */
  images: Array<{ id: string; reference: string | null; buildHash: string | null }>;
  /** Entry name → sha256 of its content. */
  files: Record<string, string>;
}

export const FORMAT = 'envctl-export';
export const VERSION = 1;
export const MANIFEST = 'envctl-export.json';
export const IMAGES = 'images.tar';

/** One file to pack: where it is now, and its name in the archive. */
export interface ArchiveFile {
  name: string;
  path: string;
}

export function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  return pipeline(createReadStream(path), hash).then(() => hash.digest('hex'));
}

/** Writes the manifest, then every file, as one tar at `output`. */
export async function writeArchive(
  output: string,
  manifest: Omit<Manifest, 'files'>,
  files: readonly ArchiveFile[],
  progress: (line: string) => void,
): Promise<void> {
  const checksums: Record<string, string> = {};
  for (const file of files) checksums[file.name] = await sha256Of(file.path);
  const pack = tar.pack();
  const written = pipeline(pack, createWriteStream(output));
  const full: Manifest = { ...manifest, files: checksums };
  pack.entry({ name: MANIFEST }, `${JSON.stringify(full, null, 2)}\n`);
  for (const file of files) {
    const { size, mode } = statSync(file.path);
    if (size > 64 * 1024 * 1024) progress(`writing ${file.name} (${Math.round(size / 2 ** 20)} MB)`);
    await new Promise<void>((resolve, reject) => {
      const entry = pack.entry({ name: file.name, size, mode: mode & 0o777 }, (error) =>
        error ? reject(error) : resolve(),
      );
      createReadStream(file.path).on('error', reject).pipe(entry);
    });
  }
  pack.finalize();
  await written;
}

/**
 * Unpacks an export into `staging` and checks it whole before anything is used: the manifest first, of this
 * format and version, every entry named there, with its checksum, and no path that leaves the folder. A file
 * that is not an export, or a damaged one, is an input error; the caller removes the staging folder.
 */
export async function readArchive(file: string, staging: string): Promise<Manifest> {
  const refuse = (why: string) =>
    new InputError(`${file} is not an envctl export that can be imported: ${why}.`, {
      location: { file },
      hint: 'Make the file again with "envctl export <project>" and copy it whole (it is one tar file).',
    });
  let manifest: Manifest | undefined;
  const seen = new Set<string>();
  const extract = tar.extract();
  const reading = pipeline(createReadStream(file), extract).catch((error: Error) => {
    throw refuse(error.message.toLowerCase());
  });
  try {
    for await (const entry of extract) {
      const name = entry.header.name;
      if (!manifest) {
        if (name !== MANIFEST) throw refuse(`it does not begin with ${MANIFEST}`);
        manifest = parseManifest(await text(entry), refuse);
        continue;
      }
      if (!(name in manifest.files) || normalize(name).startsWith('..') || name.startsWith('/'))
        throw refuse(`it holds ${name}, which its manifest does not list`);
      const path = join(staging, name);
      mkdirSync(dirname(path), { recursive: true });
      await pipeline(entry, createWriteStream(path, { mode: entry.header.mode ?? 0o644 }));
      seen.add(name);
    }
    await reading;
  } catch (error) {
    extract.destroy();
    await reading.catch(() => undefined);
    throw error instanceof InputError ? error : refuse((error as Error).message);
  }
  if (!manifest) throw refuse('it is empty');
  for (const [name, checksum] of Object.entries(manifest.files)) {
    if (!seen.has(name)) throw refuse(`${name} is missing (the file was cut short)`);
    if ((await sha256Of(join(staging, name))) !== checksum) throw refuse(`${name} does not match its checksum`);
  }
  return manifest;
}

function parseManifest(text: string, refuse: (why: string) => InputError): Manifest {
  let value: Partial<Manifest>;
  try {
    value = JSON.parse(text) as Partial<Manifest>;
  } catch {
    throw refuse(`its ${MANIFEST} is not JSON`);
  }
  if (value.format !== FORMAT) throw refuse(`its ${MANIFEST} is not an envctl export's`);
  if (value.version !== VERSION)
    throw refuse(`it is of format version ${String(value.version)}; this envctl reads version ${VERSION}`);
  return value as Manifest;
}

async function text(stream: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** A file's bytes, for comparing a template already in the workspace with the one an export carries. */
export function sameContent(a: string, b: string): boolean {
  return readFileSync(a).equals(readFileSync(b));
}
