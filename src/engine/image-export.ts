import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DockerEngine } from './docker-engine.js';

/** What `docker run` takes from an image's config when the service does not say: its defaults. */
export interface ImageRunConfig {
  id: string;
  env: string[];
  entrypoint: string[] | undefined;
  cmd: string[] | undefined;
  workingDir: string | undefined;
}

/** The image's id and run defaults (docker image inspect .Config). */
export async function imageRunConfig(engine: DockerEngine, reference: string): Promise<ImageRunConfig> {
  const info = await engine.docker.getImage(reference).inspect();
  const config = info.Config;
  return {
    id: info.Id,
    env: config.Env ?? [],
    entrypoint: listOf(config.Entrypoint),
    cmd: listOf(config.Cmd),
    workingDir: config.WorkingDir || undefined,
  };
}

/**
 * Writes the image's filesystem flattened into one tarball (`docker export` of a container made from it and
 * never started), the input of Charliecloud's ch-convert and of an enroot SquashFS.
 */
export async function exportImage(engine: DockerEngine, id: string, out: NodeJS.WritableStream): Promise<void> {
  // A command is needed to create it; it never runs.
  const container = await engine.docker.createContainer({ Image: id, Cmd: ['true'], Entrypoint: [] });
  try {
    const stream = (await container.export()) as unknown as Readable;
    await pipeline(stream, out);
  } finally {
    await container.remove({ force: true });
  }
}

function listOf(value: string | string[] | undefined | null): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) ? value : [value];
}
