import { describe, expect, it } from 'vitest';
import { apply } from '../../src/execute/apply.js';
import { LABEL, COMPOSE_LABEL } from '../../src/model/labels.js';
import type { Desired, DesiredNetwork, DesiredService } from '../../src/reconcile/desired.js';
import { plan, type PlanOptions } from '../../src/reconcile/plan.js';
import { observe } from '../../src/engine/observed.js';
import { MemoryEngine } from '../support/memory-engine.js';
import { serviceModel } from '../../src/compose/service-model-read.js';

const ROOT = '/ws';
const NETWORK = 'envctl_ws';

function service(project: string, name: string, extra: Partial<DesiredService> = {}): DesiredService {
  const full = `${project}-${name}`;
  const labels = {
    [LABEL.root]: ROOT,
    [LABEL.project]: project,
    [COMPOSE_LABEL.service]: full,
    [COMPOSE_LABEL.configHash]: `hash-${full}`,
  };
  return {
    project,
    service: full,
    containerName: `ws-${full}-1`,
    image: 'busybox',
    build: undefined,
    compose: { image: 'busybox' },
    model: serviceModel({ image: 'busybox' }),
    labels,
    create: {
      Image: 'busybox',
      Labels: labels,
      NetworkingConfig: { EndpointsConfig: { [NETWORK]: { Aliases: [full] } } },
    },
    networks: [{ name: NETWORK, aliases: [full] }],
    dependsOn: [],
    waitFor: [],
    hash: `hash-${full}`,
    ...extra,
  };
}

function network(name: string, subnet: string, hash = 'h'): DesiredNetwork {
  const labels = { [LABEL.root]: ROOT, 'dev.envctl.config-hash': hash };
  return {
    key: name,
    name,
    project: undefined,
    create: { Name: name, Labels: labels, IPAM: { Config: [{ Subnet: subnet }] } },
    hash,
  };
}

const desired = (services: DesiredService[], networks = [network(NETWORK, '10.213.0.0/24')]): Desired => ({
  projectName: 'ws',
  root: ROOT,
  services,
  networks,
  volumes: [],
});

async function applyOn(engine: MemoryEngine, wanted: Desired, options: PlanOptions = {}) {
  const observed = await observe(
    engine,
    ROOT,
    wanted.services.map((s) => s.image),
  );
  const changes: string[] = [];
  const warnings: string[] = [];
  const result = await apply(plan(wanted, observed, options), engine, {
    change: (_project, text) => changes.push(text),
    progress: () => undefined,
    warning: (message) => warnings.push(message),
  });
  return { result, changes, warnings };
}

const names = async (engine: MemoryEngine) =>
  (await engine.containers(LABEL.root, ROOT)).map((c) => `${c.name} ${c.state}`).sort();

describe('apply carries out a plan and decides nothing', () => {
  it('removes what it made for a project whose step failed, and the other projects go on', async () => {
    const engine = new MemoryEngine({ images: ['busybox'] });
    const db = service('a', 'db');
    const web = service('a', 'web', { dependsOn: ['a-db'] });
    engine.faults.refuse.add('start ws-a-web-1');
    const { result } = await applyOn(engine, desired([db, web, service('b', 'web')]));
    expect(result.failures.map((failure) => [failure.project, failure.error.message])).toEqual([
      ['a', 'The Docker Engine refused: start ws-a-web-1'],
    ]);
    expect(await names(engine)).toEqual(['ws-b-web-1 running']);
    expect(engine.calls).toEqual(expect.arrayContaining(['create ws-a-db-1', 'remove ws-a-db-1', 'remove ws-a-web-1']));
  });

  it('reports a subnet taken at the last moment and goes no further, for reconcile to decide', async () => {
    const engine = new MemoryEngine({ images: ['busybox'] });
    engine.faults.subnetsTakenAtCreate.add('10.213.0.0/24');
    const { result } = await applyOn(engine, desired([service('a', 'web')]));
    expect(result.subnetsTaken).toEqual(['10.213.0.0/24']);
    expect(await names(engine)).toEqual([]);
  });

  it('says which container asked for a GPU the engine cannot give, with what to install', async () => {
    const engine = new MemoryEngine({ images: ['busybox'] });
    engine.gpuRuntime = false;
    const gpu = service('a', 'gpu');
    gpu.create.HostConfig = { DeviceRequests: [{ Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] }] };
    const { result } = await applyOn(engine, desired([gpu]));
    expect(result.failures[0]?.error.message).toMatch(
      /^ws-a-gpu-1 asks for a GPU: The Docker Engine cannot give a GPU/,
    );
    expect(result.failures[0]?.error).toMatchObject({ hint: expect.stringContaining('NVIDIA Container Toolkit') });
  });

  it('recreates a changed network with its users removed first, and keeps one no longer wanted that others use', async () => {
    const engine = new MemoryEngine({ images: ['busybox'] });
    const web = service('a', 'web');
    await applyOn(
      engine,
      desired([web], [network(NETWORK, '10.213.0.0/24'), network('envctl_ws_old', '10.213.1.0/24')]),
    );
    const stranger = await engine.createContainer('someone-else', {
      Image: 'busybox',
      NetworkingConfig: { EndpointsConfig: { envctl_ws_old: {} } },
    });
    const { result, changes } = await applyOn(engine, desired([web], [network(NETWORK, '10.213.0.0/24', 'h-new')]));
    expect(result.failures).toEqual([]);
    expect(result.removalFailures).toEqual([]);
    expect(changes).toEqual(
      expect.arrayContaining([
        'created network envctl_ws (10.213.0.0/24)',
        'recreated ws-a-web-1 (network changed)',
        'left network envctl_ws_old in place: 1 container(s) still use it',
      ]),
    );
    expect((await engine.networks()).map((n) => n.name).sort()).toEqual([NETWORK, 'envctl_ws_old']);
    expect(await engine.networkContainers('envctl_ws_old')).toEqual([stranger]);
  });

  describe('builds', () => {
    const built = (project: string) =>
      service(project, 'app', {
        image: `envctl/ws-${project}-app`,
        build: { context: '/ws/projects/p', dockerfile: undefined, args: {}, dependencyFiles: [], hash: 'h1' },
      });

    it('with BuildKit where the engine has it', async () => {
      const engine = new MemoryEngine({ images: ['busybox'] });
      const { result, warnings } = await applyOn(engine, desired([built('a')]));
      expect(result.failures).toEqual([]);
      expect(engine.buildsAsked.map((build) => build.builder)).toEqual(['buildkit']);
      expect(warnings).toEqual([]);
    });

    it('with the classic builder on an engine that refuses BuildKit, said once for every build after', async () => {
      const engine = new MemoryEngine({ images: ['busybox'] });
      engine.buildKit = false;
      const first = await applyOn(engine, desired([built('a'), built('b')]));
      expect(first.result.failures).toEqual([]);
      expect(first.changes.filter((change) => change.startsWith('built'))).toHaveLength(2);
      const asked = engine.buildsAsked.map((build) => `${build.tag} ${build.builder}`);
      // Whichever project asked first found out; the other may have asked at the same moment, never after.
      expect(asked.filter((line) => line.endsWith('classic')).sort()).toEqual([
        'envctl/ws-a-app classic',
        'envctl/ws-b-app classic',
      ]);
      expect(first.warnings).toEqual([
        'The Docker Engine at memory:// does not build with BuildKit (its API 1.38 predates BuildKit (1.39)). ' +
          'envctl builds with the classic builder there: package caches are not kept between builds.',
      ]);
      const before = engine.buildsAsked.length;
      const again = await applyOn(engine, desired([built('a')]), { build: true });
      expect(engine.buildsAsked.slice(before).map((build) => build.builder)).toEqual(['classic']);
      expect(again.warnings).toEqual([]);
    });

    it('--no-cache builds every built image again, without cache, even when it is up to date', async () => {
      const engine = new MemoryEngine({ images: ['busybox'] });
      await applyOn(engine, desired([built('a')]));
      const before = engine.buildsAsked.length;
      const { changes } = await applyOn(engine, desired([built('a'), service('b', 'web')]), { noCache: true });
      expect(engine.buildsAsked.slice(before).map((build) => [build.tag, build.noCache])).toEqual([
        ['envctl/ws-a-app', true],
      ]);
      expect(changes).toContain('built envctl/ws-a-app without cache');
    });
  });
});
