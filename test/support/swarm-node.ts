import type { SwarmNode } from '../../src/engine/swarm.js';

/** A ready, active worker node named host-<id>, without GPUs unless `extra` gives some. */
export function swarmNode(id: string, extra: Partial<SwarmNode> = {}): SwarmNode {
  return {
    id,
    hostname: `host-${id}`,
    address: `10.0.0.${id.length}`,
    role: 'worker',
    availability: 'active',
    state: 'ready',
    labels: {},
    gpus: [],
    ...extra,
  };
}
