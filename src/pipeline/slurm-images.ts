import { posix } from 'node:path';
import { PassThrough } from 'node:stream';
import type { DockerEngine } from '../engine/docker-engine.js';
import { exportImage, imageRunConfig, type ImageRunConfig } from '../engine/image-export.js';
import { EngineError } from '../errors/envctl-error.js';
import type { ApplyReporter } from '../execute/apply.js';
import type { DesiredService } from '../reconcile/desired.js';
import { archiveOf, convertCommand, imageFileName } from '../reconcile/slurm-runtime.js';
import { shellQuote } from '../util/shell-quote.js';
import type { SlurmSite } from './slurm-site.js';

/** Each service's image on this machine's engine: its id and run defaults, pulled first where it is missing. */
export async function imagesOnBuilder(
  services: readonly DesiredService[],
  builder: DockerEngine,
  reporter: ApplyReporter,
): Promise<Map<string, ImageRunConfig>> {
  const configs = new Map<string, ImageRunConfig>();
  for (const image of new Set(services.map((service) => service.image))) {
    if (!(await builder.image(image))) {
      const project = services.find((service) => service.image === image)!.project;
      reporter.change(project, `pulling ${image}`);
      await builder.pullImage(image, () => undefined);
    }
    configs.set(image, await imageRunConfig(builder, image));
  }
  return configs;
}

/** The runtime's image of `id` on the shared folder. */
export function imagePath(site: SlurmSite, id: string): string {
  return posix.join(site.root, 'images', imageFileName(site.runtime, id));
}

/**
 * Carries each image the cluster lacks (by id: a rebuilt image is a new file, an unchanged one is not carried
 * again) to the shared folder over SSH, as the runtime is converted from (a `docker save` archive, or the
 * flattened filesystem), and converts it there.
 */
export async function carryImages(
  ids: ReadonlyMap<string, string>,
  builder: DockerEngine,
  site: SlurmSite,
  reporter: ApplyReporter,
): Promise<void> {
  for (const [id, project] of ids) {
    const image = imagePath(site, id);
    if ((await site.host.run(`test -e ${shellQuote(image)}`)).exitCode === 0) continue;
    const archive = `${image}.tar`;
    await site.host.run(`mkdir -p ${shellQuote(posix.dirname(image))}`);
    const stream = new PassThrough();
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
    const writing = site.host.runWithInput(`cat > ${shellQuote(archive)}`, stream);
    const reading =
      archiveOf(site.runtime) === 'save' ? builder.saveImages([id], stream) : exportImage(builder, id, stream);
    await Promise.all([reading, writing]).then(([, written]) => {
      if (written.exitCode !== 0) throw carryFailed(site, written.stderr);
    });
    const converted = await site.host.run(convertCommand(site.runtime, archive, image), { timeoutMs: 30 * 60_000 });
    if (converted.exitCode !== 0) throw carryFailed(site, converted.stderr || converted.stdout);
    reporter.change(
      project,
      `carried image ${id.slice(7, 19)} to ${site.host.hostName} (${Math.round(bytes / 2 ** 20)} MB, ${site.runtime})`,
    );
  }
}

function carryFailed(site: SlurmSite, said: string): EngineError {
  return new EngineError(
    `Carrying an image to ${site.host.hostName} failed: ${said.trim().split('\n').slice(-3).join(' ')}`,
    {
      hint: `Check that slurm.root (${site.root}) is writable there and that ${site.runtime} works on the login node.`,
    },
  );
}
