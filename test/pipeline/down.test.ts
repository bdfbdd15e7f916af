import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/model/labels.js';
import { attemptAll } from '../../src/execute/teardown.js';
import { down } from '../../src/pipeline/down.js';
import { MemoryEngine } from '../support/memory-engine.js';

const ROOT = '/ws';
const labels = (project?: string) => ({ [LABEL.root]: ROOT, ...(project ? { [LABEL.project]: project } : {}) });

/** A workspace of three projects, each with a container on its own network and the workspace's network. */
async function threeProjects(): Promise<MemoryEngine> {
  const engine = new MemoryEngine({ images: ['busybox'] });
  await engine.createNetwork({ Name: 'envctl_ws', Labels: labels() });
  for (const project of ['a', 'b', 'c']) {
    await engine.createNetwork({ Name: `envctl_ws_${project}`, Labels: labels(project) });
    const id = await engine.createContainer(`ws-${project}-web-1`, {
      Image: 'busybox',
      Labels: labels(project),
      NetworkingConfig: { EndpointsConfig: { [`envctl_ws_${project}`]: {} } },
    });
    await engine.connectNetwork('envctl_ws', id, []);
    await engine.startContainer(id);
  }
  return engine;
}

async function downOf(engine: MemoryEngine, options: { only?: Set<string>; volumes?: boolean } = {}) {
  const lines: string[] = [];
  const error = await down(engine, ROOT, options, (line) => lines.push(line)).then(
    () => undefined,
    (e: unknown) => e as Error & { exitCode: number },
  );
  return { lines, error };
}

describe('down attempts everything and reports every failure together', () => {
  it('goes on past a container and a network that will not go, then names both (exit 3)', async () => {
    const engine = await threeProjects();
    engine.faults.refuse.add('stop ws-a-web-1');
    engine.faults.refuse.add('remove network envctl_ws_b');
    const { lines, error } = await downOf(engine);
    expect(error?.exitCode).toBe(3);
    expect(error?.message).toMatch(/2 of the removals failed/);
    expect(error?.message).toContain('container ws-a-web-1: The Docker Engine refused: stop ws-a-web-1');
    expect(error?.message).toContain('network envctl_ws_b: The Docker Engine refused: remove network envctl_ws_b');
    // Everything else was attempted and removed; the networks ws-a-web-1 still uses are left in place.
    expect((await engine.containers(LABEL.root, ROOT)).map((c) => c.name)).toEqual(['ws-a-web-1']);
    expect((await engine.networks()).map((n) => n.name).sort()).toEqual(['envctl_ws', 'envctl_ws_a', 'envctl_ws_b']);
    expect(lines).toEqual(
      expect.arrayContaining([
        'removed ws-b-web-1',
        'removed ws-c-web-1',
        'removed network envctl_ws_c',
        'left network envctl_ws in place: 1 container(s) still use it',
      ]),
    );
  });

  it("takes only the named projects, and leaves the workspace's network while others are on it", async () => {
    const engine = await threeProjects();
    const { error } = await downOf(engine, { only: new Set(['b']) });
    expect(error).toBeUndefined();
    expect((await engine.containers(LABEL.root, ROOT)).map((c) => c.name).sort()).toEqual(['ws-a-web-1', 'ws-c-web-1']);
    expect((await engine.networks()).map((n) => n.name).sort()).toEqual(['envctl_ws', 'envctl_ws_a', 'envctl_ws_c']);
  });

  it('removes named volumes only when asked, and never what another workspace labelled', async () => {
    const engine = await threeProjects();
    await engine.createVolume({ Name: 'ws_data', Labels: labels('a') });
    await engine.createVolume({ Name: 'other_data', Labels: { [LABEL.root]: '/other', [LABEL.project]: 'a' } });
    await downOf(engine);
    expect((await engine.volumes(LABEL.project)).map((v) => v.name).sort()).toEqual(['other_data', 'ws_data']);
    await downOf(engine, { volumes: true });
    expect((await engine.volumes(LABEL.project)).map((v) => v.name)).toEqual(['other_data']);
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
