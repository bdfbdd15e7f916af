import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine, ObservedContainer, ObservedNetwork } from '../../src/engine/engine.js';
import { NO_ENGINE } from '../../src/engine/engine-view.js';
import { StateStore } from '../../src/state/state-store.js';
import { up } from '../../src/pipeline/up.js';
import { persistRender } from '../../src/pipeline/persist.js';
import { loadWorkspace } from '../../src/workspace/load.js';
import { cpSync } from 'node:fs';
import { makeWorkspace, removeWorkspace, REPO } from '../support/workspace.js';

/**
 * An in-memory engine for the retry loop beside it: the port race cannot be staged on a real engine,
 * because a real thief would be seen by the probe before start. Its start fails the way dockerd does.
 */
class RacingEngine implements Engine {
  readonly address = 'fake';
  containersById = new Map<string, ObservedContainer & { body: Record<string, any> }>();
  networksByName = new Map<string, ObservedNetwork>();
  stolen: Set<string>;
  stolenSubnets: Set<string>;
  starts = 0;

  constructor(stolen: string[], stolenSubnets: string[] = []) {
    this.stolen = new Set(stolen);
    this.stolenSubnets = new Set(stolenSubnets);
  }

  async answers() {
    return true;
  }
  async containers() {
    return [...this.containersById.values()];
  }
  async allNetworks() {
    return [...this.networksByName.values()];
  }
  async networkContainers() {
    return [];
  }
  async volumes() {
    return [];
  }
  async image() {
    return { id: 'sha256:busybox', labels: {} };
  }
  async pullImage() {}
  async buildImage() {}
  async createNetwork(body: Record<string, any>) {
    if (this.stolenSubnets.delete(body.IPAM.Config[0].Subnet))
      throw new Error('(HTTP code 403) unexpected - Pool overlaps with other one on this address space');
    this.networksByName.set(body.Name, {
      id: body.Name,
      name: body.Name,
      labels: body.Labels,
      subnets: [body.IPAM.Config[0].Subnet],
    });
  }
  async removeNetwork(name: string) {
    this.networksByName.delete(name);
  }
  async createVolume() {}
  async removeVolume() {}
  async createContainer(name: string, body: Record<string, any>) {
    const id = `${name}-${this.containersById.size}`;
    this.containersById.set(id, {
      id,
      name,
      state: 'created',
      status: '',
      image: body.Image,
      imageId: 'sha256:busybox',
      labels: body.Labels,
      networks: Object.keys(body.NetworkingConfig.EndpointsConfig),
      ports: [],
      body,
    });
    return id;
  }
  async connectNetwork() {}
  async startContainer(id: string) {
    this.starts += 1;
    const container = this.containersById.get(id)!;
    for (const bindings of Object.values<Array<{ HostIp: string; HostPort: string }>>(
      container.body.HostConfig.PortBindings ?? {},
    )) {
      for (const binding of bindings) {
        if (this.stolen.delete(binding.HostPort)) {
          throw new Error(
            `(HTTP code 500) server error - driver failed programming external connectivity on endpoint ${container.name}: Bind for ` +
              `${binding.HostIp}:${binding.HostPort} failed: port is already allocated`,
          );
        }
      }
    }
    container.state = 'running';
  }
  async stopContainer() {}
  async killContainer() {}
  async restartContainer() {}
  async removeContainer(id: string) {
    this.containersById.delete(id);
  }
  async inspectContainer(): Promise<never> {
    throw new Error('not used');
  }
  async logs(): Promise<never> {
    throw new Error('not used');
  }
  publishedPorts = NO_ENGINE.publishedPorts;
  networks = NO_ENGINE.networks;
  runningWithGpus = NO_ENGINE.runningWithGpus;
  gpuSupport = NO_ENGINE.gpuSupport;
}

const roots: string[] = [];

function racingWorkspace(): string {
  const root = makeWorkspace({
    'workspace.yml': 'ports:\n  range: "28800-28899"\n',
    'which-project': 'alpha\n',
    'projects/alpha/envctl.yml': 'template: web\nports: { http: 28888 }\n',
  });
  roots.push(root);
  cpSync(join(REPO, 'test', 'fixtures', 'templates', 'web'), join(root, 'templates', 'web'), { recursive: true });
  return root;
}

async function upWith(root: string, engine: RacingEngine, changes: string[]) {
  const store = new StateStore(join(root, 'compose'));
  const workspace = loadWorkspace(root);
  const outcome = await up(
    workspace,
    {
      engine,
      ports: { isFree: async () => true },
      gpus: { discover: async () => ({ available: false as const, reason: 'none here' }) },
      routes: { routes: async () => [] },
      store,
    },
    (result) => persistRender(store, workspace.settings.name, result),
    { change: (_project, text) => changes.push(text), progress: () => undefined },
  );
  return { outcome, store };
}
afterEach(() => roots.splice(0).forEach(removeWorkspace));

describe('up when a host port is taken between allocation and start', () => {
  it('allocates another port, retries, and keeps the new one', async () => {
    const engine = new RacingEngine(['28888']);
    const changes: string[] = [];
    const { outcome, store } = await upWith(racingWorkspace(), engine, changes);
    expect(outcome.result!.failures).toEqual([]);
    expect(outcome.movedPorts).toEqual([28888]);
    expect(changes).toContain('host port 28888 was taken by someone else at the last moment; allocating another');
    const [container] = engine.containersById.values();
    expect(container!.state).toBe('running');
    expect(container!.body.HostConfig.PortBindings['8080/tcp']).toEqual([{ HostIp: '127.0.0.1', HostPort: '28889' }]);
    expect(store.read().state.ports.get('alpha/web/8080/tcp')?.value).toBe(28889);
  });

  it('allocates another subnet when another network took its subnet at the same moment', async () => {
    const engine = new RacingEngine([], ['10.213.0.0/24']);
    const changes: string[] = [];
    const { store } = await upWith(racingWorkspace(), engine, changes);
    expect(changes).toContain(
      'subnet 10.213.0.0/24 was taken by another network at the last moment; allocating another',
    );
    expect([...engine.networksByName.values()].map((network) => network.subnets[0])).toEqual(['10.213.1.0/24']);
    expect(store.read().state.networks.get('_workspace')?.value).toBe('10.213.1.0/24');
  });
});
