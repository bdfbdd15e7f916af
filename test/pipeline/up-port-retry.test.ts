import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/model/labels.js';
import { StateStore } from '../../src/state/state-store.js';
import { up } from '../../src/pipeline/up.js';
import { persistRender } from '../../src/pipeline/persist.js';
import { loadWorkspace } from '../../src/workspace/load.js';
import { cpSync } from 'node:fs';
import { makeWorkspace, removeWorkspace, REPO } from '../support/workspace.js';
import { MemoryEngine } from '../support/memory-engine.js';

/** The port race cannot be staged on a real engine: a real thief would be seen by the probe before start. */
function racingEngine(portsTaken: number[], subnetsTaken: string[] = []): MemoryEngine {
  const engine = new MemoryEngine({ images: ['busybox:latest'] });
  for (const port of portsTaken) engine.faults.portsTakenAtStart.add(port);
  for (const subnet of subnetsTaken) engine.faults.subnetsTakenAtCreate.add(subnet);
  return engine;
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

async function upWith(root: string, engine: MemoryEngine, changes: string[]) {
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
      user: { uid: 1000, gid: 1000 },
      target: 'engine',
    },
    (result) => persistRender(store, workspace.settings.name, result),
    { change: (_project, text) => changes.push(text), progress: () => undefined, warning: () => undefined },
  );
  return { outcome, store };
}
afterEach(() => roots.splice(0).forEach(removeWorkspace));

describe('up when a host port is taken between allocation and start', () => {
  it('allocates another port, retries, and keeps the new one', async () => {
    const engine = racingEngine([28888]);
    const changes: string[] = [];
    const { outcome, store } = await upWith(racingWorkspace(), engine, changes);
    expect(outcome.result!.failures).toEqual([]);
    expect(outcome.movedPorts).toEqual([28888]);
    expect(changes).toContain('host port 28888 was taken by someone else at the last moment; allocating another');
    const [container] = await engine.containers(LABEL.project, 'alpha');
    expect(container!.state).toBe('running');
    expect(container!.ports).toEqual([{ hostIp: '127.0.0.1', hostPort: 28889, containerPort: 8080, protocol: 'tcp' }]);
    expect(store.read().state.ports.get('alpha/web/8080/tcp')?.value).toBe(28889);
  });

  it('allocates another subnet when another network took its subnet at the same moment', async () => {
    const engine = racingEngine([], ['10.213.0.0/24']);
    const changes: string[] = [];
    const { store } = await upWith(racingWorkspace(), engine, changes);
    expect(changes).toContain(
      'subnet 10.213.0.0/24 was taken by another network at the last moment; allocating another',
    );
    expect((await engine.networks()).map((network) => network.subnets[0])).toEqual(['10.213.1.0/24']);
    expect(store.read().state.networks.get('_workspace')?.value).toBe('10.213.1.0/24');
  });
});
