import { describe, expect, it } from 'vitest';
import type { SwarmService, SwarmTask } from '../../src/engine/swarm.js';
import { LABEL } from '../../src/model/labels.js';
import { folderNode, runningNodeOf } from '../../src/reconcile/swarm-folders.js';
import { swarmNode } from '../support/swarm-node.js';

const node = swarmNode;
const service = (id: string, project: string, root = '/ws'): SwarmService => ({
  id,
  name: `ws-${project}`,
  version: 1,
  labels: { [LABEL.root]: root, [LABEL.project]: project },
  ports: [],
  replicas: 1,
});
const task = (serviceId: string, nodeId: string, gpus: string[] = []): SwarmTask => ({
  id: `t-${serviceId}`,
  serviceId,
  nodeId,
  state: 'running',
  desiredState: 'running',
  error: undefined,
  containerId: 'c',
  gpus,
});

const NODES = [node('a', { gpus: ['g1'] }), node('b', { gpus: ['g2', 'g3'], labels: { gpu: 'a100' } })];
const project = (name: string, extra: { node?: string; labels?: Record<string, string>; gpus?: number } = {}) => ({
  name,
  placement: { node: extra.node, labels: extra.labels ?? {} },
  gpus: extra.gpus ?? 0,
});

describe('the node a project that mounts its folder runs on', () => {
  const idle = { root: '/ws', nodes: NODES, services: [], tasks: [] };

  it('is the node its placement names, else one its labels allow', () => {
    expect(folderNode(project('p', { node: 'host-b' }), NODES, idle)?.id).toBe('b');
    expect(folderNode(project('p', { labels: { gpu: 'a100' } }), NODES, idle)?.id).toBe('b');
    expect(folderNode(project('p', { node: 'host-z' }), NODES, idle)).toBeUndefined();
  });

  it('stays where its task runs now, so its files need not move', () => {
    const now = { ...idle, services: [service('s1', 'p')], tasks: [task('s1', 'b')] };
    expect(runningNodeOf('p', now)).toBe('b');
    expect(folderNode(project('p'), NODES, now)?.id).toBe('b');
  });

  it("goes where its GPUs are free, else to the node with the fewest of the workspace's tasks", () => {
    const busy = { ...idle, services: [service('s1', 'q'), service('s2', 'r')], tasks: [task('s1', 'a', ['g1'])] };
    expect(folderNode(project('p', { gpus: 1 }), NODES, busy)?.id).toBe('b');
    expect(folderNode(project('p'), NODES, busy)?.id).toBe('b');
    expect(folderNode(project('p', { gpus: 3 }), NODES, busy)).toBeUndefined();
    expect(folderNode(project('p'), NODES, idle)?.id).toBe('a');
  });

  it('takes only the nodes envctl reaches', () => {
    expect(folderNode(project('p'), [NODES[1]!], idle)?.id).toBe('b');
  });
});
