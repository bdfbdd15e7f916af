import { describe, expect, it } from 'vitest';
import type { SwarmService, SwarmTask } from '../../src/engine/swarm.js';
import { LABEL } from '../../src/model/labels.js';
import { placedGrants } from '../../src/pipeline/swarm-forwards.js';
import { swarmNode } from '../support/swarm-node.js';

const service = (id: string, project: string, root: string, published: number): SwarmService => ({
  id,
  name: `ws-${project}-web-1`,
  version: 1,
  labels: { [LABEL.root]: root, [LABEL.project]: project, [LABEL.service]: 'web' },
  ports: [{ protocol: 'tcp', targetPort: 8080, publishedPort: published }],
  replicas: 1,
});
const task = (serviceId: string, nodeId: string, state = 'running', desiredState = 'running'): SwarmTask => ({
  id: `t-${serviceId}-${state}`,
  serviceId,
  nodeId,
  state,
  desiredState,
  error: undefined,
  containerId: undefined,
  gpus: [],
});

describe('the ports a swarm forwards to this machine', () => {
  it("are the workspace's running services' published ports, each on the node its task runs on", () => {
    const nodes = [swarmNode('a'), swarmNode('bb')];
    const services = [
      service('s1', 'site', '/ws', 29340),
      service('s2', 'nb', '/ws', 29341),
      service('s3', 'stopped', '/ws', 29342),
      service('s4', 'theirs', '/other', 29343),
    ];
    const tasks = [
      task('s1', 'bb'),
      task('s2', 'a', 'shutdown', 'shutdown'),
      task('s2', 'a'),
      task('s3', 'a', 'shutdown', 'shutdown'),
      task('s4', 'a'),
    ];
    const placed = placedGrants('/ws', { services, tasks, nodes });
    expect(placed.map(({ node, grant }) => [grant.project, node.hostname, grant.host, grant.container])).toEqual([
      ['site', 'host-bb', 29340, 8080],
      ['nb', 'host-a', 29341, 8080],
    ]);
    // The key is render's for the same port: the summary finds the laptop's end by it.
    expect(placed[0]!.grant.key).toBe('site/web/8080/tcp');
  });
});
