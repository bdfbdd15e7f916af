import { PortTakenError } from '../engine/engine-errors.js';
import { EngineError } from '../errors/envctl-error.js';

/** What an apply left that another allocation can fix: ports and subnets someone took at the last moment. */
export interface AttemptOutcome {
  failures: ReadonlyArray<{ error: Error }>;
  subnetsTaken: readonly string[];
}

export type NextAttempt =
  | { kind: 'done' }
  | { kind: 'again'; portsTaken: number[]; subnetsTaken: string[] }
  | { kind: 'give-up'; error: EngineError };

/** How often a port or subnet taken at the last moment is allocated again before up gives up. */
export const RETRIES = 3;

/**
 * The retry decision of `up`: ports or subnets taken between allocation and apply are marked busy and the
 * whole pipeline runs again (the plan is idempotent, so only what failed is retried), up to RETRIES times.
 * Other failures are the apply's result, reported as they are.
 */
export function nextAttempt(outcome: AttemptOutcome, attempt: number): NextAttempt {
  const portsTaken = outcome.failures.flatMap(({ error }) => (error instanceof PortTakenError ? [error.port] : []));
  const subnetsTaken = [...outcome.subnetsTaken];
  if (portsTaken.length === 0 && subnetsTaken.length === 0) return { kind: 'done' };
  if (attempt < RETRIES) return { kind: 'again', portsTaken, subnetsTaken };
  if (subnetsTaken.length === 0) return { kind: 'done' };
  return {
    kind: 'give-up',
    error: new EngineError(
      `The subnets ${subnetsTaken.join(', ')} were taken by other networks each time envctl tried.`,
      {
        hint: 'Run envctl up again, or set networks.range in workspace.yml to a range nothing else uses.',
      },
    ),
  };
}
