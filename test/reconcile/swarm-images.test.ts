import { describe, expect, it } from 'vitest';
import { nodeEngineAddress } from '../../src/engine/swarm-nodes.js';
import type { SwarmServiceSpec } from '../../src/reconcile/swarm-desired.js';
import { imageCarries, nodesToHold, registryReference } from '../../src/reconcile/swarm-images.js';
import { withoutProjects, type SwarmPlan } from '../../src/reconcile/swarm-plan.js';
import { swarmNode } from '../support/swarm-node.js';

const node = swarmNode;

const spec = (project: string, extra: Partial<SwarmServiceSpec> = {}): SwarmServiceSpec => ({
  name: `ws-${project}-web-1`,
  project,
  image: `ws-${project}-web`,
  imageId: `sha256:${project}`,
  gpus: 0,
  sharedGpus: 0,
  constraints: [],
  hash: 'h',
  spec: {},
  ...extra,
});

const NODES = [node('a'), node('b', { labels: { gpu: 'a100' } }), node('c', { availability: 'drain' })];

describe("the images a swarm's nodes need", () => {
  it('sends a built image to every node that takes tasks and its constraints allow, or to the one it is pinned to', () => {
    const wanted = nodesToHold(
      [spec('free'), spec('placed', { constraints: ['node.labels.gpu==a100'] }), spec('pinned')],
      NODES,
      new Map([['ws-pinned-web-1', { nodeId: 'a', shared: [] }]]),
    );
    expect(wanted.map(({ spec, nodes }) => [spec.project, nodes.map((n) => n.id)])).toEqual([
      ['free', ['a', 'b']],
      ['placed', ['b']],
      ['pinned', ['a']],
    ]);
  });

  it('leaves out an image nobody built here (pulled by the nodes themselves)', () => {
    expect(nodesToHold([spec('pulled', { imageId: undefined })], NODES, new Map())).toEqual([]);
  });

  it('copies an image only to the nodes that lack that very id, once per node', () => {
    const wanted = nodesToHold([spec('one'), spec('two', { imageId: 'sha256:one' })], NODES, new Map());
    const carries = imageCarries(wanted, (held, id) => held.id === 'a' && id === 'sha256:one');
    expect(carries.map((carry) => `${carry.image} ${carry.imageId} -> ${carry.node.id}`)).toEqual([
      'ws-one-web sha256:one -> b',
    ]);
  });

  it('leaves a project whose image did not build as it runs', () => {
    const plan: SwarmPlan = {
      createNetworks: [],
      create: [spec('broken'), spec('fine')],
      update: [{ spec: spec('broken2'), id: 'x', version: 1 }],
      unchanged: [],
      remove: [],
      removeNetworks: [],
    };
    const kept = withoutProjects(plan, new Set(['broken', 'broken2']));
    expect(kept.create.map((s) => s.project)).toEqual(['fine']);
    expect(kept.update).toEqual([]);
  });
});

describe("a built image's name in the swarm's registry", () => {
  it('is its repository under the registry, tagged with its build hash', () => {
    const hash = 'abcdef0123456789' + 'f'.repeat(48);
    expect(registryReference('reg.lab:5000', 'ws-lab-web', hash)).toBe('reg.lab:5000/ws-lab-web:abcdef0123456789');
    expect(registryReference('reg.lab:5000', 'envctl/ws-lab:latest', hash)).toBe(
      'reg.lab:5000/envctl/ws-lab:abcdef0123456789',
    );
    expect(registryReference('reg.lab', 'ghcr.io/me/lab:1.0', hash)).toBe('reg.lab/me/lab:abcdef0123456789');
    expect(registryReference('reg.lab', 'localhost:5000/lab', hash)).toBe('reg.lab/lab:abcdef0123456789');
  });
});

describe("a node's own engine", () => {
  it('is reached over SSH by its hostname, as the user who reaches the manager', () => {
    const manager = {
      kind: 'ssh' as const,
      ssh: { user: 'me', host: 'gpu1.lab', port: 2222 },
      source: 'workspace.yml' as const,
      url: 'ssh://me@gpu1.lab:2222',
    };
    expect(nodeEngineAddress(manager, node('b'))).toMatchObject({
      kind: 'ssh',
      ssh: { user: 'me', host: 'host-b', port: undefined },
      url: 'ssh://me@host-b',
    });
    const local = { kind: 'unix' as const, socket: '/var/run/docker.sock', source: 'default' as const, url: 'x' };
    expect(nodeEngineAddress(local, node('b'))).toMatchObject({ ssh: { user: undefined }, url: 'ssh://host-b' });
  });
});
