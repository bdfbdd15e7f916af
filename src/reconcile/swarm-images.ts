import type { SwarmNode } from '../engine/swarm.js';
import type { SwarmServiceSpec } from './swarm-desired.js';
import { allows, type GpuPin } from './swarm-plan.js';

/** One image the manager built, to be copied to one node that may run it and lacks it. */
export interface ImageCarry {
  project: string;
  image: string;
  imageId: string;
  node: SwarmNode;
}

/** A node that may run a task: in the swarm and taking tasks. */
function takesTasks(node: SwarmNode): boolean {
  return node.state === 'ready' && node.availability === 'active';
}

/**
 * Pure: the nodes each built service's task may land on: the node envctl pinned it to (its GPUs), else every
 * ready, active node its constraints allow. The image goes to all of them, so that a task the swarm moves
 * finds its image wherever it may go.
 */
export function nodesToHold(
  specs: readonly SwarmServiceSpec[],
  nodes: readonly SwarmNode[],
  pins: ReadonlyMap<string, GpuPin>,
): Array<{ spec: SwarmServiceSpec; imageId: string; nodes: SwarmNode[] }> {
  return specs.flatMap((spec) => {
    if (spec.imageId === undefined) return [];
    const pinned = pins.get(spec.name)?.nodeId;
    const eligible = nodes.filter(
      (node) => takesTasks(node) && (pinned ? node.id === pinned : allows(spec.constraints, node)),
    );
    return [{ spec, imageId: spec.imageId, nodes: eligible }];
  });
}

/** Pure: the copies to make, one per image and node that lacks it (`holds` says what each node has). */
export function imageCarries(
  wanted: ReturnType<typeof nodesToHold>,
  holds: (node: SwarmNode, imageId: string) => boolean,
): ImageCarry[] {
  const seen = new Set<string>();
  return wanted.flatMap(({ spec, imageId, nodes }) =>
    nodes.flatMap((node) => {
      const key = `${node.id} ${imageId}`;
      if (holds(node, imageId) || seen.has(key)) return [];
      seen.add(key);
      return [{ project: spec.project, image: spec.image, imageId, node }];
    }),
  );
}

/**
 * Pure: the name a built image gets in the swarm's registry: its repository (less any registry of its own)
 * under `registry`, tagged with the first 16 characters of its build hash, so a rebuild of the same inputs
 * pushes nothing new and any other is a tag of its own.
 */
export function registryReference(registry: string, image: string, buildHash: string): string {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const repository = colon > slash ? image.slice(0, colon) : image;
  const [first, ...rest] = repository.split('/');
  const own = rest.length > 0 && (/[.:]/.test(first!) || first === 'localhost');
  return `${registry}/${own ? rest.join('/') : repository}:${buildHash.slice(0, 16)}`;
}
