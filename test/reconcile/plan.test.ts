import { describe, expect, it } from 'vitest';
import type { Desired, DesiredService } from '../../src/reconcile/desired.js';
import { COMPOSE_LABEL, ENVCTL_BUILD_HASH, LABEL } from '../../src/model/labels.js';
import { dependencyLevels, plan } from '../../src/reconcile/plan.js';
import type { ObservedContainer, Observed } from '../../src/engine/observed.js';
import { serviceModel } from '../../src/compose/service-model-read.js';

const ROOT = '/ws';
function service(project: string, name: string, extra: Partial<DesiredService> = {}): DesiredService {
  const full = `${project}-${name}`;
  return {
    project,
    service: full,
    containerName: `ws-${full}-1`,
    image: `img-${full}`,
    build: undefined,
    compose: { image: `img-${full}` },
    model: serviceModel({ image: `img-${full}` }),
    labels: { 'dev.envctl.workspace.root': ROOT },
    create: { Labels: { 'dev.envctl.workspace.root': ROOT } },
    networks: [{ name: 'envctl_ws', aliases: [full] }],
    dependsOn: [],
    waitFor: [],
    hash: `hash-${full}`,
    ...extra,
  };
}
function container(s: DesiredService, extra: Partial<ObservedContainer> = {}): ObservedContainer {
  return {
    id: `id-${s.service}`,
    name: s.containerName,
    state: 'running',
    status: 'Up',
    image: s.image,
    imageId: `sha-${s.image}`,
    labels: { [COMPOSE_LABEL.service]: s.service, [COMPOSE_LABEL.configHash]: s.hash, 'dev.envctl.project': s.project },
    networks: ['envctl_ws'],
    ports: [],
    ...extra,
  };
}
const desired = (services: DesiredService[]): Desired => ({
  projectName: 'ws',
  root: ROOT,
  services,
  networks: [],
  volumes: [],
});
function observed(
  containers: ObservedContainer[],
  services: DesiredService[],
  labels: Record<string, Record<string, string>> = {},
): Observed {
  return {
    containers,
    networks: [],
    volumes: [],
    images: new Map(services.map((s) => [s.image, { id: `sha-${s.image}`, labels: labels[s.image] ?? {} }])),
    builds: [],
  };
}
const steps = (p: ReturnType<typeof plan>) =>
  [...p.projects.values()].flatMap((pp) => pp.levels.flat().map((step) => `${step.kind} ${step.service.service}`));

describe('plan', () => {
  it("refuses to take a network of another workspace of the same name, and removes only this workspace's", () => {
    const network = (name: string, root: string) => ({
      id: name,
      name,
      subnets: [],
      labels: { [LABEL.root]: root, [COMPOSE_LABEL.project]: 'ws' },
    });
    const wanted = {
      key: '_workspace',
      name: 'envctl_ws',
      project: undefined,
      create: { Name: 'envctl_ws' },
      hash: 'h',
    };
    const base = { ...desired([]), networks: [wanted] };
    expect(() => plan(base, { ...observed([], []), networks: [network('envctl_ws', '/elsewhere/ws')] })).toThrow(
      /belongs to the workspace at \/elsewhere\/ws, also named "ws"/,
    );
    const mine = plan(
      { ...desired([]) },
      { ...observed([], []), networks: [network('envctl_ws', ROOT), network('envctl_other', '/elsewhere/ws')] },
    );
    expect(mine.removeNetworks.map((r) => r.network.name)).toEqual(['envctl_ws']);
  });

  it('keeps everything when nothing changed', () => {
    const services = [service('a', 'web'), service('b', 'web')];
    const result = plan(
      desired(services),
      observed(
        services.map((s) => container(s)),
        services,
      ),
    );
    expect(steps(result)).toEqual(['keep a-web', 'keep b-web']);
    expect(result.removeContainers).toEqual([]);
  });

  it('creates what is missing, recreates what changed, starts what stopped, removes what left', () => {
    const [a, b, c] = [service('a', 'web'), service('b', 'web'), service('c', 'web')];
    const gone = container(service('old', 'web'));
    const result = plan(
      desired([a, b, c]),
      observed(
        [
          container(a, { labels: { ...container(a).labels, [COMPOSE_LABEL.configHash]: 'stale' } }),
          container(b, { state: 'exited' }),
          gone,
        ],
        [a, b, c],
      ),
    );
    expect(steps(result)).toEqual(['recreate a-web', 'start b-web', 'create c-web']);
    expect(result.removeContainers.map((r) => r.reason)).toEqual(['project old is no longer in which-project']);
  });

  it('builds when the build inputs changed, and recreates the container of a changed image', () => {
    const built = service('a', 'web', {
      build: { context: '/a', dockerfile: undefined, args: {}, dependencyFiles: [], hash: 'new' },
    });
    const result = plan(
      desired([built]),
      observed([container(built)], [built], { [built.image]: { [ENVCTL_BUILD_HASH]: 'old' } }),
    );
    expect(result.projects.get('a')!.images.map((step) => `${step.kind}: ${step.reason}`)).toEqual([
      'build: its build inputs changed',
    ]);
    expect(steps(result)).toEqual(['recreate a-web']);

    const fresh = plan(
      desired([built]),
      observed([container(built, { imageId: 'sha-older' })], [built], {
        [built.image]: { [ENVCTL_BUILD_HASH]: 'new' },
      }),
    );
    expect(fresh.projects.get('a')!.images).toEqual([]);
    expect(steps(fresh)).toEqual(['recreate a-web']);
  });

  it('touches only the projects asked for', () => {
    const [a, b] = [service('a', 'web'), service('b', 'web')];
    const result = plan(desired([a, b]), observed([container(service('old', 'web'))], [a, b]), {
      only: new Set(['a']),
    });
    expect(steps(result)).toEqual(['create a-web']);
    expect(result.removeContainers).toEqual([]);
  });

  it('orders services by depends_on', () => {
    const db = service('a', 'db');
    const web = service('a', 'web', { dependsOn: ['a-db'] });
    const worker = service('a', 'worker', { dependsOn: ['a-web', 'a-db'] });
    expect(dependencyLevels([worker, web, db]).map((level) => level.map((s) => s.service))).toEqual([
      ['a-db'],
      ['a-web'],
      ['a-worker'],
    ]);
  });

  it('creates a new network, recreates one whose settings changed with its users first, and may keep an unused one', () => {
    const net = (name: string, hash: string, project?: string) => ({
      key: name,
      name,
      project,
      create: { Name: name },
      hash,
    });
    const observedNet = (name: string, hash: string) => ({
      id: `id-${name}`,
      name,
      subnets: [],
      labels: { [LABEL.root]: ROOT, [LABEL.project]: 'a', 'dev.envctl.config-hash': hash },
    });
    const web = service('a', 'web', { networks: [{ name: 'envctl_ws_a', aliases: [] }] });
    const onIt = container(web, { networks: ['envctl_ws_a'] });
    const result = plan(
      { ...desired([web]), networks: [net('envctl_ws', 'h1'), net('envctl_ws_a', 'h2-new', 'a')] },
      {
        ...observed([onIt], [web]),
        networks: [observedNet('envctl_ws_a', 'h2-old'), observedNet('envctl_ws_gone', 'h3')],
      },
    );
    expect(result.createNetworks.map((n) => n.name)).toEqual(['envctl_ws']);
    expect(result.recreateNetworks.map(({ network, users }) => [network.name, users.map((u) => u.id)])).toEqual([
      ['envctl_ws_a', ['id-a-web']],
    ]);
    expect(result.removeNetworks).toEqual([
      { network: expect.objectContaining({ name: 'envctl_ws_gone' }), reason: 'no longer needed', ifInUse: 'keep' },
    ]);
    expect(steps(result)).toEqual(['recreate a-web']);
    expect(result.projects.get('a')?.levels[0]?.[0]).toMatchObject({ reason: 'network changed' });
  });

  it('creates only the volumes that are missing, not external, and in scope', () => {
    const volume = (name: string, project: string, external = false) => ({
      key: name,
      name,
      project,
      external,
      create: { Name: name },
    });
    const result = plan(
      {
        ...desired([]),
        volumes: [volume('ws_a_new', 'a'), volume('ws_a_there', 'a'), volume('shared', 'a', true), volume('ws_b', 'b')],
      },
      { ...observed([], []), volumes: [{ name: 'ws_a_there', labels: {} }] },
      { only: new Set(['a']) },
    );
    expect(result.createVolumes.map((v) => v.name)).toEqual(['ws_a_new']);
  });

  it('pulls an image the engine lacks, and plans every project to remove what it made on failure', () => {
    const web = service('a', 'web');
    const result = plan(desired([web]), { ...observed([], []), images: new Map() });
    expect(result.projects.get('a')).toMatchObject({
      images: [{ kind: 'pull', reason: 'image not on the engine' }],
      onFailure: 'remove-made',
    });
  });

  it('tags an image built from the same inputs under another name, instead of building it again', () => {
    const web = service('a', 'web', {
      build: { context: '/p', dockerfile: undefined, args: {}, dependencyFiles: [], hash: 'h1' },
    });
    const elsewhere = { id: 'sha256:imported', hash: 'h1', labels: { [ENVCTL_BUILD_HASH]: 'h1' }, tags: [] };
    const none = { ...observed([], []), images: new Map() };
    expect(plan(desired([web]), { ...none, builds: [elsewhere] }).projects.get('a')?.images).toEqual([
      { kind: 'tag', service: web, imageId: 'sha256:imported', reason: 'the same build is on the engine' },
    ]);
    expect(plan(desired([web]), { ...none, builds: [{ ...elsewhere, hash: 'h2' }] }).projects.get('a')?.images).toEqual(
      [{ kind: 'build', service: web, reason: 'image not built yet' }],
    );
    const forced = plan(desired([web]), { ...none, builds: [elsewhere] }, { build: true }).projects.get('a');
    expect(forced?.images.map((step) => step.kind)).toEqual(['build']);
  });
});
