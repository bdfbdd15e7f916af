import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { conditionVerdict, waitForCondition } from '../../src/execute/wait-condition.js';

const health = (Status: string, Output = '') => ({
  State: { Status: 'running', Health: { Status, Log: [{ Output, ExitCode: 1 }] } },
});

describe('depends_on conditions', () => {
  it('reads the engine state of a dependency as met, waiting, or why it cannot be met', () => {
    expect(conditionVerdict(health('healthy'), 'service_healthy')).toBe('met');
    expect(conditionVerdict(health('starting'), 'service_healthy')).toBe('waiting');
    expect(conditionVerdict(health('unhealthy', 'pg_isready: no response\n'), 'service_healthy')).toBe(
      'is unhealthy; its last health check said: pg_isready: no response',
    );
    expect(conditionVerdict({ State: { Status: 'running' } }, 'service_healthy')).toMatch(/has no health check/);
    expect(
      conditionVerdict({ State: { Status: 'exited', ExitCode: 2, Health: { Status: 'starting' } } }, 'service_healthy'),
    ).toMatch(/exited with code 2 before it was healthy/);
    expect(conditionVerdict({ State: { Status: 'running' } }, 'service_completed_successfully')).toBe('waiting');
    expect(conditionVerdict({ State: { Status: 'exited', ExitCode: 0 } }, 'service_completed_successfully')).toBe(
      'met',
    );
    expect(conditionVerdict({ State: { Status: 'exited', ExitCode: 1 } }, 'service_completed_successfully')).toBe(
      'exited with code 1',
    );
  });

  it('polls until the dependency is healthy, and fails with its output when it turns unhealthy', async () => {
    const states = [health('starting'), health('starting'), health('healthy')];
    const engine = { inspectContainer: async () => states.shift() ?? health('healthy') } as unknown as Engine;
    let slept = 0;
    await waitForCondition(
      engine,
      'app',
      { containerName: 'db', condition: 'service_healthy' },
      { sleep: async () => void slept++ },
    );
    expect(slept).toBe(2);

    const sick = { inspectContainer: async () => health('unhealthy', 'not ready') } as unknown as Engine;
    await expect(
      waitForCondition(
        sick,
        'app',
        { containerName: 'db', condition: 'service_healthy' },
        { sleep: async () => undefined },
      ),
    ).rejects.toThrow(
      /app waits for db \(service_healthy\), which is unhealthy; its last health check said: not ready/,
    );
  });

  it('does not ask the engine when the condition is only that the dependency started', async () => {
    const engine = {
      inspectContainer: async () => {
        throw new Error('not asked');
      },
    } as unknown as Engine;
    await expect(
      waitForCondition(engine, 'app', { containerName: 'db', condition: 'service_started' }),
    ).resolves.toBeUndefined();
  });
});
