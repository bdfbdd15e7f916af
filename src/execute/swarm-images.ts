import { PassThrough, Transform } from 'node:stream';
import type { Engine } from '../engine/engine.js';
import type { SwarmNode } from '../engine/swarm.js';
import type { ImageCarry } from '../reconcile/swarm-images.js';
import { formatBytes } from '../util/units.js';

export interface CarryEvents {
  change(project: string | null, text: string): void;
}

/**
 * Copies each image the manager built to the nodes that lack it, as `docker save | docker -H node load` would:
 * streamed from one engine to the other, never written to disk here. Copies to different nodes run side by side.
 */
export async function carryImages(
  carries: readonly ImageCarry[],
  manager: Engine,
  engineOf: (node: SwarmNode) => Promise<Engine>,
  events: CarryEvents,
): Promise<void> {
  const byNode = new Map<string, ImageCarry[]>();
  for (const carry of carries) byNode.set(carry.node.id, [...(byNode.get(carry.node.id) ?? []), carry]);
  await Promise.all(
    [...byNode.values()].map(async (list) => {
      const node = await engineOf(list[0]!.node);
      for (const carry of list) {
        const bytes = await copyImage(manager, node, carry.image);
        events.change(carry.project, `carried ${carry.image} to ${carry.node.hostname} (${formatBytes(bytes)})`);
      }
    }),
  );
}

/** Streams `docker save <image>` from one engine into `docker load` on another; resolves to the bytes sent. */
async function copyImage(from: Engine, to: Engine, image: string): Promise<number> {
  let bytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const saved = new PassThrough();
  saved.pipe(counted);
  const loaded = to.loadImages(counted).catch((error: unknown) => {
    saved.destroy(); // the save stops too, rather than wait on a reader that is gone
    throw error;
  });
  await Promise.all([from.saveImages([image], saved), loaded]);
  return bytes;
}
