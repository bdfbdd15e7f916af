import { describe, expect, it } from 'vitest';
import type { SwarmNode, SwarmService, SwarmTask } from '../../src/engine/swarm.js';
import { LABEL, SWARM_SPEC_HASH } from '../../src/model/labels.js';
import type { ServiceSpec } from '../../src/compose/compose-types.js';
import { desiredState, type Desired } from '../../src/reconcile/desired.js';
import { swarmDesired } from '../../src/reconcile/swarm-desired.js';
import { allows, checkGpuFit, planSwarm } from '../../src/reconcile/swarm-plan.js';

const labels = { [LABEL.root]: '/ws', [LABEL.project]: 'train', [LABEL.service]: 'web' };

/** The desired state of one Compose service "train-web", as render and desiredState make it. */
function desired(spec: ServiceSpec): Desired {
  const service = { image: 'busybox', command: ['httpd'], environment: { A: '1' }, labels, ...spec };
  const model = {
    services: { 'train-web': { ...service, networks: { workspace: { aliases: ['train-web'] } } } },
    networks: { workspace: { name: 'envctl_ws' } },
    volumes: { data: { labels: { [LABEL.root]: '/ws', [LABEL.project]: 'train' } } },
  };
  const wanted = desiredState(model, {
    projectName: 'ws',
    root: '/ws',
    composeDir: '/ws/compose',
    configFile: '/ws/compose/docker-compose.yml',
    envFiles: new Map(),
  });
  return { ...wanted, networks: [] };
}

const gpus = (count: number) => ({
  deploy: { resources: { reservations: { devices: [{ driver: 'nvidia', count, capabilities: ['gpu'] }] } } },
});

const placements = new Map([['train', { node: 'gpu2', labels: { gpu: 'a100' } }]]);

describe('the desired containers as swarm services', () => {
  it('reserves a count of GPUs as generic resources, publishes ports in host mode, places by node and labels', () => {
    const spec = {
      ...gpus(2),
      ports: [{ target: 8080, published: 8888, host_ip: '0.0.0.0' }],
      volumes: ['data:/data', '/datasets:/datasets:ro'],
      restart: 'no',
      environment: { A: '1', B: 'two words' },
      extra_hosts: { 'db.lab': '10.0.0.9' },
      stop_grace_period: '1500ms',
    };
    const [service] = swarmDesired(desired(spec), placements).services;
    const body = service!.spec as Record<string, any>;
    expect(service!.gpus).toBe(2);
    expect(body.TaskTemplate.Resources.Reservations.GenericResources).toEqual([
      { DiscreteResourceSpec: { Kind: 'NVIDIA-GPU', Value: 2 } },
    ]);
    expect(body.TaskTemplate.Placement.Constraints).toEqual(['node.hostname==gpu2', 'node.labels.gpu==a100']);
    expect(body.EndpointSpec).toEqual({
      Mode: 'dnsrr',
      Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 8888, PublishMode: 'host' }],
    });
    // A node makes the named volume where the task lands: with the workspace's labels, for down -v to find.
    expect(body.TaskTemplate.ContainerSpec.Mounts).toEqual([
      {
        Type: 'volume',
        Source: 'ws_data',
        Target: '/data',
        VolumeOptions: { Labels: expect.objectContaining({ 'com.docker.compose.volume': 'data' }) },
      },
      { Type: 'bind', Source: '/datasets', Target: '/datasets', ReadOnly: true },
    ]);
    expect(body.TaskTemplate.RestartPolicy).toEqual({ Condition: 'on-failure' });
    expect(body.Labels['com.docker.stack.namespace']).toBe('ws');
    expect(body.Labels[SWARM_SPEC_HASH]).toBe(service!.hash);
    expect(body.TaskTemplate.ContainerSpec).toMatchObject({
      Args: ['httpd'],
      Env: ['A=1', 'B=two words'],
      Hosts: ['10.0.0.9 db.lab'],
      StopGracePeriod: 1.5e9,
    });
    expect(body.TaskTemplate.Networks).toEqual([{ Target: 'envctl_ws', Aliases: ['train-web'] }]);
  });

  it('hashes the spec whatever the order its keys were written in', () => {
    const written = { environment: { A: '1' }, cap_add: ['SYS_PTRACE'], read_only: true };
    const reordered = { read_only: true, cap_add: ['SYS_PTRACE'], environment: { A: '1' } };
    const hashOf = (spec: ServiceSpec) => swarmDesired(desired(spec), new Map()).services[0]!.hash;
    expect(hashOf(reordered)).toBe(hashOf(written));
    expect(hashOf({ ...written, read_only: false })).not.toBe(hashOf(written));
  });

  // A build is refused at render, by the swarm column of the key table (test/compose/service-keys.test.ts).
  it('refuses by name what the swarm column of the key table does not carry: privileged, named GPUs', () => {
    expect(() => swarmDesired(desired({ privileged: true }), new Map())).toThrow(
      /train-web sets privileged, which envctl does not apply on a swarm: envctl does not carry it/,
    );
    const named = { deploy: { resources: { reservations: { devices: [{ count: 1, device_ids: ['1'] }] } } } };
    expect(() => swarmDesired(desired(named), new Map())).toThrow(/sets deploy\.resources\.reservations\.devices/);
    const all = { deploy: { resources: { reservations: { devices: [{ count: 'all' as const }] } } } };
    expect(() => swarmDesired(desired(all), new Map())).toThrow(
      /asks for all GPUs, and a swarm hands out GPUs by count/,
    );
    expect(() => swarmDesired(desired({ cpu_shares: 512 }), new Map())).toThrow(/sets cpu_shares/);
    expect(swarmDesired(desired({ cap_add: ['SYS_PTRACE'] }), new Map()).services).toHaveLength(1);
  });

  it('runs an image the manager built by its id, so that no node asks a registry for it', () => {
    const wanted = desired({ build: '/src', image: undefined });
    const id = 'sha256:' + 'a'.repeat(64);
    const [service] = swarmDesired(wanted, new Map(), undefined, new Map([['ws-train-web', id]])).services;
    expect(service).toMatchObject({ image: 'ws-train-web', imageId: id });
    expect((service!.spec as any).TaskTemplate.ContainerSpec.Image).toBe(id);
    const rebuilt = swarmDesired(wanted, new Map(), undefined, new Map([['ws-train-web', `sha256:${'b'.repeat(64)}`]]));
    expect(rebuilt.services[0]!.hash).not.toBe(service!.hash);
  });

  it('names the file and line of what it refuses, as the workspace wrote it', () => {
    const asked: string[] = [];
    const locate = (project: string, name: string, key: string) => {
      asked.push(`${project}/${name}/${key}`);
      return { file: 'projects/train/compose.yml', line: 4 };
    };
    let error: unknown;
    try {
      swarmDesired(desired({ privileged: true, shm_size: '1g' }), new Map(), locate);
    } catch (thrown) {
      error = thrown;
    }
    expect((error as Error).message).toMatch(/^projects\/train\/compose\.yml:4: train-web sets privileged, shm_size,/);
    expect((error as { location?: unknown }).location).toEqual({ file: 'projects/train/compose.yml', line: 4 });
    expect(asked).toEqual(['train/web/privileged']);
  });

  it("gives a named volume's driver and options to the node that makes it, and leaves an external one alone", () => {
    const ofVolume = (volume: Record<string, unknown>) => {
      const wanted = desired({ volumes: ['data:/data'] });
      const [data] = wanted.volumes;
      const changed = { ...wanted, volumes: [{ ...data!, ...volume, create: { ...data!.create, ...volume.create! } }] };
      const [service] = swarmDesired(changed, new Map()).services;
      return (service!.spec as any).TaskTemplate.ContainerSpec.Mounts[0].VolumeOptions;
    };
    expect(ofVolume({ create: { Driver: 'local', DriverOpts: { type: 'nfs', o: 'addr=10.0.0.1' } } })).toMatchObject({
      DriverConfig: { Options: { type: 'nfs', o: 'addr=10.0.0.1' } },
    });
    expect(ofVolume({ create: { Driver: 'rexray' } }).DriverConfig).toEqual({ Name: 'rexray' });
    expect(ofVolume({ external: true, create: {} })).toBeUndefined();
  });

  it('says once that ports.bind does not apply in host mode', () => {
    const ports = [{ target: 80, published: 8080, host_ip: '127.0.0.1' }];
    expect(swarmDesired(desired({ ports }), new Map()).warnings).toEqual([
      expect.stringContaining('ports.bind 127.0.0.1 does not apply'),
    ]);
  });
});

const node = (id: string, gpus: number, extra: Partial<SwarmNode> = {}): SwarmNode => ({
  id,
  hostname: id,
  address: `10.0.0.${id.length}`,
  role: 'worker',
  availability: 'active',
  state: 'ready',
  labels: {},
  gpus: Array.from({ length: gpus }, (_, i) => `GPU-${id}-${i}`),
  ...extra,
});

describe('planning a swarm deploy', () => {
  const wanted = swarmDesired(desired(gpus(1)), new Map());

  it('creates what is missing, leaves an unchanged service alone, removes what left which-project', () => {
    const spec = wanted.services[0]!;
    const existing = (name: string, hash: string, project: string): SwarmService => ({
      id: name,
      name,
      version: 3,
      labels: { [LABEL.root]: '/ws', [LABEL.project]: project, [SWARM_SPEC_HASH]: hash },
      ports: [],
      replicas: 1,
    });
    expect(planSwarm(wanted, { services: [], networks: [] }).create.map((s) => s.name)).toEqual([spec.name]);
    const same = planSwarm(wanted, {
      services: [existing(spec.name, spec.hash, 'train'), existing('ws-old-web-1', 'x', 'old')],
      networks: [],
    });
    expect(same.create).toEqual([]);
    expect(same.update).toEqual([]);
    expect(same.unchanged.map((s) => s.name)).toEqual([spec.name]);
    expect(same.remove.map((s) => s.name)).toEqual(['ws-old-web-1']);
    const changed = planSwarm(wanted, { services: [existing(spec.name, 'other', 'train')], networks: [] });
    expect(changed.update).toEqual([{ spec, id: spec.name, version: 3 }]);
  });

  it('fits GPU services on nodes with GPUs free and pins them there; refuses one that fits nowhere, naming each node', () => {
    const plan = planSwarm(wanted, { services: [], networks: [] });
    const held: SwarmTask = {
      id: 't',
      serviceId: 'other',
      nodeId: 'a',
      state: 'running',
      desiredState: 'running',
      error: undefined,
      containerId: 'c',
      gpus: ['GPU-a-0'],
    };
    const other: SwarmService = {
      id: 'other',
      name: 'x',
      version: 1,
      labels: { [LABEL.project]: 'alpha' },
      ports: [],
      replicas: 1,
    };
    expect(checkGpuFit(plan, [node('a', 1), node('bb', 1)], [held], [other])).toEqual(
      new Map([[wanted.services[0]!.name, { nodeId: 'bb', shared: [] }]]),
    );
    expect(() => checkGpuFit(plan, [node('a', 1), node('bb', 0)], [held], [other])).toThrow(
      'no node has that many free: a: 0 of 1 free (held by alpha); bb: 0 of 0 free',
    );
  });

  it('reads placement constraints as the swarm does', () => {
    const gpuNode = node('g', 2, { labels: { gpu: 'a100' } });
    expect(allows(['node.hostname==g', 'node.labels.gpu==a100'], gpuNode)).toBe(true);
    expect(allows(['node.labels.gpu!=a100'], gpuNode)).toBe(false);
    expect(allows(['node.role==manager'], gpuNode)).toBe(false);
  });

  it('places a shared request on a node with that many GPUs and names them, reserving nothing', () => {
    const shared = swarmDesired(
      desired(gpus(1)),
      new Map([['train', { node: undefined, labels: {}, sharedGpus: true }]]),
    );
    const spec = shared.services[0]!;
    expect(spec.gpus).toBe(0);
    expect((spec.spec as any).TaskTemplate.Resources.Reservations.GenericResources).toBeUndefined();
    const plan = planSwarm(shared, { services: [], networks: [] });
    expect(checkGpuFit(plan, [node('a', 0), node('bb', 2)], [], [])).toEqual(
      new Map([[spec.name, { nodeId: 'bb', shared: ['GPU-bb-0'] }]]),
    );
  });
});
