import { describe, expect, it } from 'vitest';
import { removeOnceEndpointsGo } from '../../src/engine/network-removal.js';
import { EngineError } from '../../src/errors/envctl-error.js';
import { NetworkInUseError, StaleEndpointError } from '../../src/engine/engine-errors.js';

const activeEndpoints = () =>
  new Error('The Docker Engine refused: error while removing network: network envctl_x id 7bf6 has active endpoints');

describe('removing a network dockerd says still has endpoints', () => {
  it('tries again while the engine lets go of the last endpoint', async () => {
    let calls = 0;
    await removeOnceEndpointsGo(
      'envctl_x',
      async () => {
        calls += 1;
        if (calls < 3) throw activeEndpoints();
      },
      async () => 0,
      [1, 1, 1],
    );
    expect(calls).toBe(3);
  });

  it('says what clears a stale endpoint when the engine never lets go', async () => {
    let calls = 0;
    const failing = removeOnceEndpointsGo(
      'envctl_x',
      async () => {
        calls += 1;
        throw activeEndpoints();
      },
      async () => 0,
      [1, 1],
    );
    await expect(failing).rejects.toThrow(StaleEndpointError);
    await expect(failing).rejects.toThrow(EngineError);
    await expect(failing).rejects.toMatchObject({ hint: expect.stringContaining('restart docker') });
    expect(calls).toBe(3);
  });

  it('says at once that containers still use it, and how many, without waiting', async () => {
    let calls = 0;
    const inUse = removeOnceEndpointsGo(
      'envctl_x',
      async () => {
        calls += 1;
        throw activeEndpoints();
      },
      async () => 2,
      [1, 1],
    );
    await expect(inUse).rejects.toThrow(NetworkInUseError);
    await expect(inUse).rejects.toMatchObject({ network: 'envctl_x', users: 2 });
    expect(calls).toBe(1);
  });

  it('passes any other refusal through at once', async () => {
    let calls = 0;
    const other = new Error('network envctl_x not found on this engine, permission denied');
    await expect(
      removeOnceEndpointsGo(
        'envctl_x',
        async () => {
          calls += 1;
          throw other;
        },
        async () => 0,
        [1],
      ),
    ).rejects.toBe(other);
    expect(calls).toBe(1);
  });
});
