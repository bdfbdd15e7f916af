import type { DockerEngine } from '../engine/docker-engine.js';
import { observe, type ObservedImage } from '../engine/observed.js';
import type { SwarmNode } from '../engine/swarm.js';
import type { NodeEngines } from '../engine/swarm-nodes.js';
import { apply, type ApplyReporter, type ProjectFailure } from '../execute/apply.js';
import { carryImages } from '../execute/swarm-images.js';
import type { Desired, DesiredService } from '../reconcile/desired.js';
import { imagePlan, type Plan, type PlanOptions } from '../reconcile/plan.js';
import type { SwarmServiceSpec } from '../reconcile/swarm-desired.js';
import { imageCarries, nodesToHold, registryReference } from '../reconcile/swarm-images.js';
import type { GpuPin } from '../reconcile/swarm-plan.js';

export interface ManagerBuilds {
  /** The builds (and tags of the same builds) the manager's engine needs. */
  plan: Plan;
  /** The id of each built image, by name, for the services that run it. */
  built: Map<string, string>;
  /** Projects whose image could not be built: their services are left as they are. */
  failures: ProjectFailure[];
}

/**
 * The images a swarm workspace builds, built on the manager's engine as on one engine (BuildKit, progress,
 * the same build hash, so an unchanged project builds nothing); a dry run only plans them.
 */
export async function buildOnManager(
  desired: Desired,
  engine: DockerEngine,
  options: PlanOptions & { dryRun?: boolean; registry?: string | undefined },
  reporter: ApplyReporter,
): Promise<ManagerBuilds> {
  const services = desired.services.filter((service) => service.build);
  const observed = await observe(
    engine,
    desired.root,
    services.map((service) => service.image),
  );
  const plan = imagePlan(desired, observed, options);
  if (options.dryRun) return { plan, built: new Map(), failures: [] };
  const { failures } = await apply(plan, engine, reporter);
  const failed = new Set(failures.map((failure) => failure.project));
  const built = new Map<string, string>();
  for (const service of services.filter((candidate) => !failed.has(candidate.project))) {
    const image = await engine.image(service.image);
    if (!image) continue;
    const registry = options.registry;
    const run = registry ? await pushed(engine, registry, service, image, reporter) : image.id;
    built.set(service.image, run);
  }
  return { plan, built, failures };
}

/**
 * A built image pushed to the swarm's registry, tagged with its build hash; what the service runs is that
 * reference pinned by the digest the registry gave, so every node pulls exactly this image.
 */
async function pushed(
  engine: DockerEngine,
  registry: string,
  service: DesiredService,
  image: ObservedImage,
  reporter: ApplyReporter,
): Promise<string> {
  const reference = registryReference(registry, service.image, service.build?.hash ?? image.id.slice(7));
  const repository = reference.slice(0, reference.lastIndexOf(':'));
  // This very image was pushed there before: the registry has it under that digest.
  const known = image.repoDigests?.find((entry) => entry.startsWith(`${repository}@`));
  if (known) return `${reference}@${known.slice(repository.length + 1)}`;
  await engine.tagImage(image.id, reference);
  const digest = await engine.pushImage(reference);
  reporter.change(service.project, `pushed ${reference} (${digest.slice(0, 19)})`);
  return `${reference}@${digest}`;
}

/** Copies each built image to every node its service may run on that lacks that very image (by id). */
export async function carryToNodes(
  specs: readonly SwarmServiceSpec[],
  swarm: { nodes: readonly SwarmNode[]; pins: ReadonlyMap<string, GpuPin> },
  engines: { manager: DockerEngine; nodes: NodeEngines },
  reporter: ApplyReporter,
): Promise<void> {
  const wanted = nodesToHold(specs, swarm.nodes, swarm.pins);
  const held = new Set<string>();
  const pairs = wanted.flatMap(({ imageId, nodes }) => nodes.map((node) => ({ node, imageId })));
  await Promise.all(
    pairs.map(async ({ node, imageId }) => {
      const engine = await engines.nodes.engineOf(node);
      if (await engine.image(imageId)) held.add(`${node.id} ${imageId}`);
    }),
  );
  const carries = imageCarries(wanted, (node, imageId) => held.has(`${node.id} ${imageId}`));
  await carryImages(carries, engines.manager, (node) => engines.nodes.engineOf(node), reporter);
}
