import { describe, expect, it } from 'vitest';
import type { Engine, ObservedContainer, ObservedNetwork } from '../../src/engine/engine.js';
import { LABEL } from '../../src/model/labels.js';
import { attemptAll } from '../../src/execute/teardown.js';
import { down } from '../../src/pipeline/down.js';

const ROOT = '/ws';
const container = (name: string, project: string): ObservedContainer => ({
  id: `id-${name}`,
  name,
  state: 'running',
  status: 'Up',
  image: 'busybox',
  imageId: 'sha',
  labels: { [LABEL.root]: ROOT, [LABEL.project]: project },
  networks: [],
  ports: [],
});
const network = (name: string, project?: string): ObservedNetwork => ({
  id: `id-${name}`,
  name,
  subnets: [],
  labels: { [LABEL.root]: ROOT, ...(project ? { [LABEL.project]: project } : {}) },
});

/** Just what down asks of an engine; the named removals fail as the engine would. */
function engineWith(containers: ObservedContainer[], networks: ObservedNetwork[], failing: Set<string>) {
  const calls: string[] = [];
  const fail = (what: string) => {
    calls.push(what);
    if (failing.has(what)) throw new Error(`engine refused ${what}`);
  };
  const engine = {
    containers: async () =>
      containers.filter((c) => !calls.includes(`remove ${c.id}`) || failing.has(`remove ${c.id}`)),
    allNetworks: async () => networks,
    networkContainers: async () => [],
    volumes: async () => [],
    stopContainer: async (id: string) => fail(`stop ${id}`),
    removeContainer: async (id: string) => fail(`remove ${id}`),
    removeNetwork: async (name: string) => fail(`remove network ${name}`),
  } as unknown as Engine;
  return { engine, calls };
}

describe('down attempts everything and reports every failure together', () => {
  it('goes on past a container and a network that will not go, then names both (exit 3)', async () => {
    const containers = [container('ws-a-web-1', 'a'), container('ws-b-web-1', 'b'), container('ws-c-web-1', 'c')];
    const networks = [
      network('envctl_ws'),
      network('envctl_ws_a', 'a'),
      network('envctl_ws_b', 'b'),
      network('envctl_ws_c', 'c'),
    ];
    const { engine, calls } = engineWith(
      containers,
      networks,
      new Set(['stop id-ws-a-web-1', 'remove network envctl_ws_b']),
    );
    const lines: string[] = [];
    const error = await down(engine, ROOT, {}, (line) => lines.push(line)).then(
      () => undefined,
      (e: unknown) => e as Error & { exitCode: number },
    );
    expect(error?.exitCode).toBe(3);
    expect(error?.message).toMatch(/2 of the removals failed/);
    expect(error?.message).toContain('container ws-a-web-1: engine refused stop id-ws-a-web-1');
    expect(error?.message).toContain('network envctl_ws_b: engine refused remove network envctl_ws_b');
    // Everything else was attempted and removed.
    expect(calls).toEqual(
      expect.arrayContaining([
        'remove id-ws-b-web-1',
        'remove id-ws-c-web-1',
        'remove network envctl_ws',
        'remove network envctl_ws_a',
        'remove network envctl_ws_c',
      ]),
    );
    expect(lines).toEqual(
      expect.arrayContaining(['removed ws-b-web-1', 'removed ws-c-web-1', 'removed network envctl_ws_c']),
    );
  });
});

describe('attemptAll', () => {
  it('keeps at most the limit in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const failures = await attemptAll(
      Array.from({ length: 20 }, (_, i) => i),
      String,
      async (i) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 2));
        inFlight -= 1;
        if (i % 7 === 0) throw new Error(`no ${i}`);
      },
      4,
    );
    expect(most).toBe(4);
    expect(failures.map((failure) => failure.what)).toEqual(['0', '7', '14']);
  });
});
