import { describe, expect, it } from 'vitest';
import type { ContainerInspect, Engine } from '../../src/engine/engine.js';
import { EngineError } from '../../src/errors/envctl-error.js';
import { settle, settleVerdict } from '../../src/execute/settle.js';

type State = Omit<Partial<ContainerInspect['State']>, 'Health'> & {
  Health?: { Status: string; Log?: Array<{ Output: string }> };
};
const info = (state: State, restarts = 0) =>
  ({ State: { Status: 'running', ExitCode: 0, Restarting: false, ...state }, RestartCount: restarts }) as never;

describe('settleVerdict: what a container says a moment after its start', () => {
  it('settles a running container, and a one-shot that ended with 0', () => {
    expect(settleVerdict(info({}), 0)).toEqual({ kind: 'settled' });
    expect(settleVerdict(info({ Status: 'exited', ExitCode: 0 }), 0)).toEqual({ kind: 'settled' });
  });

  it('fails one that exited non-zero, is restarting, restarted since, or is unhealthy', () => {
    expect(settleVerdict(info({ Status: 'exited', ExitCode: 2 }), 0)).toMatchObject({ what: 'exited with code 2' });
    expect(settleVerdict(info({ Status: 'restarting', Restarting: true, ExitCode: 1 }, 2), 0)).toMatchObject({
      what: 'exited with code 1 and is being restarted (2 restarts so far)',
    });
    expect(settleVerdict(info({}, 4), 3)).toMatchObject({ kind: 'failed', restarting: true });
    expect(settleVerdict(info({}, 4), 4)).toEqual({ kind: 'settled' });
    const sick = info({ Health: { Status: 'unhealthy', Log: [{ Output: 'curl: (7) refused\n' }] } });
    expect(settleVerdict(sick, 0)).toMatchObject({
      what: 'is unhealthy; its last health check said: curl: (7) refused',
    });
    expect(settleVerdict(info({ Health: { Status: 'starting' } }), 0)).toEqual({ kind: 'waiting' });
  });
});

describe('settle', () => {
  /** An engine whose container goes through the given states, one per inspect. */
  function engineThrough(states: ReturnType<typeof info>[]) {
    const calls: string[] = [];
    const engine = {
      inspectContainer: async () => (states.length > 1 ? states.shift() : states[0]),
      logs: async (_id: string, options: { tail?: number }, onLine: (line: string) => void) => {
        calls.push(`logs tail ${options.tail}`);
        onLine('Traceback (most recent call last):');
        onLine("FileNotFoundError: 'main.py'");
        return { stop: () => undefined, done: Promise.resolve() };
      },
      stopContainer: async (id: string) => void calls.push(`stop ${id}`),
    } as unknown as Engine;
    return { engine, calls };
  }
  const clock = () => {
    let now = 0;
    return { sleep: async (ms: number) => void (now += ms), now: () => now };
  };

  it('waits the settle time once, then fails the crashed container with its output, and stops it', async () => {
    const { engine, calls } = engineThrough([info({ Status: 'exited', ExitCode: 1 })]);
    const error = await settle(engine, [{ id: 'c1', name: 'lab-app-1', restartsBefore: 0 }], {
      settleMs: 1000,
      healthMs: 5000,
      ...clock(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as Error).message).toBe(
      'lab-app-1 exited with code 1 within 1 s of starting.\n  Its last output:\n' +
        "    Traceback (most recent call last):\n    FileNotFoundError: 'main.py'",
    );
    expect(calls).toEqual(['logs tail 20', 'stop c1']);
  });

  it('waits for a health check to pass, up to its limit, and then lets it be', async () => {
    const starting = info({ Health: { Status: 'starting' } });
    const time = clock();
    const { engine } = engineThrough([starting, starting, info({ Health: { Status: 'healthy' } })]);
    await settle(engine, [{ id: 'c1', name: 'db', restartsBefore: 0 }], { settleMs: 1000, healthMs: 60_000, ...time });
    expect(time.now()).toBe(2000);
    const slow = clock();
    await settle(engineThrough([starting]).engine, [{ id: 'c1', name: 'db', restartsBefore: 0 }], {
      settleMs: 1000,
      healthMs: 3000,
      ...slow,
    });
    expect(slow.now()).toBe(4000);
  });

  it('waits nothing with nothing started, or with settle 0', async () => {
    const time = clock();
    await settle(engineThrough([]).engine, [], { settleMs: 1000, healthMs: 1000, ...time });
    await settle(
      engineThrough([info({ Status: 'exited', ExitCode: 1 })]).engine,
      [{ id: 'c', name: 'c', restartsBefore: 0 }],
      {
        settleMs: 0,
        healthMs: 1000,
        ...time,
      },
    );
    expect(time.now()).toBe(0);
  });
});
