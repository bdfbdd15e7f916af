import { describe, expect, it } from 'vitest';
import { PortTakenError } from '../../src/engine/engine-errors.js';
import { EngineError } from '../../src/errors/envctl-error.js';
import { nextAttempt, RETRIES } from '../../src/reconcile/next-attempt.js';

const portTaken = (port: number) => ({ error: new PortTakenError(port, new Error('port is already allocated')) });
const other = { error: new EngineError('did not start') };

describe('nextAttempt: what up does after an apply', () => {
  it('is done when nothing was taken, whatever else failed', () => {
    expect(nextAttempt({ failures: [], subnetsTaken: [] }, 0)).toEqual({ kind: 'done' });
    expect(nextAttempt({ failures: [other], subnetsTaken: [] }, 0)).toEqual({ kind: 'done' });
  });

  it('goes again with the ports and subnets taken at the last moment marked busy', () => {
    expect(nextAttempt({ failures: [portTaken(8888), other], subnetsTaken: ['10.213.0.0/24'] }, 0)).toEqual({
      kind: 'again',
      portsTaken: [8888],
      subnetsTaken: ['10.213.0.0/24'],
    });
  });

  it('stops after the last retry: a taken port is the failure it is, a taken subnet an error of its own', () => {
    expect(nextAttempt({ failures: [portTaken(8888)], subnetsTaken: [] }, RETRIES)).toEqual({ kind: 'done' });
    const giveUp = nextAttempt({ failures: [], subnetsTaken: ['10.213.0.0/24'] }, RETRIES);
    expect(giveUp.kind).toBe('give-up');
    expect(giveUp.kind === 'give-up' && giveUp.error.message).toMatch(/10\.213\.0\.0\/24 were taken/);
  });
});
