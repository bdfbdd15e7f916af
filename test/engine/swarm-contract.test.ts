import { describe } from 'vitest';
import { MemorySwarm } from '../support/memory-swarm.js';
import { swarmContract } from '../support/swarm-contract.js';

// The same contract runs on a real swarm of two nodes in test/e2e/swarm.test.ts.
describe('the swarm contract, on the in-memory swarm', () => {
  const swarm = new MemorySwarm([
    { hostname: 'node1', gpus: ['GPU-node1-a', 'GPU-node1-b'] },
    { hostname: 'node2', gpus: ['GPU-node2-a', 'GPU-node2-b'] },
  ]);
  swarmContract({ swarm: () => swarm, image: 'busybox:latest', port: 29398, patienceMs: 1000 });
});
