import pLimit from 'p-limit';
import { NetworkInUseError } from '../engine/engine-errors.js';
import type { Engine } from '../engine/engine.js';
import { EngineError } from '../errors/envctl-error.js';
import { LABEL } from '../model/labels.js';
import type { NetworkRemoval } from '../reconcile/plan.js';
import { NETWORK_ENDPOINTS_GO } from '../reconcile/retry-policy.js';

/**
 * How many removals are in flight at once. dockerd 20.10 can keep a stale endpoint count on a network when
 * many containers leave it at once (moby/moby#43286): measured in bench/RESULTS.md ("Teardown"), a bound of
 * 4 avoided it at a small cost in time.
 */
export const TEARDOWN_CONCURRENCY = Number(process.env.ENVCTL_TEARDOWN_CONCURRENCY) || 4;

export interface TeardownFailure {
  /** What could not be removed: "container ws-p-web-1", "network envctl_ws". */
  what: string;
  error: Error;
}

/**
 * Runs `work` on every item, at most `limit` at once, and never stops at a failure: every item is
 * attempted, and the failures come back together.
 */
export async function attemptAll<T>(
  items: readonly T[],
  describe: (item: T) => string,
  work: (item: T) => Promise<void>,
  limit = TEARDOWN_CONCURRENCY,
): Promise<TeardownFailure[]> {
  const bounded = pLimit(limit);
  const failures: TeardownFailure[] = [];
  await Promise.all(
    items.map((item) =>
      bounded(async () => {
        try {
          await work(item);
        } catch (error) {
          failures.push({ what: describe(item), error: error as Error });
        }
      }),
    ),
  );
  return failures;
}

/** Every failure of a teardown in one error (exit status 3), each with what the engine said and its fix. */
export function teardownError(failures: readonly TeardownFailure[]): EngineError {
  const lines = failures.map(({ what, error }) => `  - ${what}: ${error.message}`);
  const hints = [
    ...new Set(
      failures.map(({ error }) => (error as { hint?: string }).hint).filter((hint): hint is string => Boolean(hint)),
    ),
  ];
  return new EngineError(
    `${failures.length} of the removals failed; everything else was removed:\n${lines.join('\n')}`,
    {
      hint: hints.length ? hints.join(' ') : 'Run the command again; "docker info" shows whether the engine is well.',
      cause: failures[0]?.error,
    },
  );
}

/** What a removal of networks reported: each one removed, or left in place as its step allowed. */
export interface NetworkRemovalReport {
  removed: string[];
  kept: Array<{ name: string; users: number }>;
  failures: TeardownFailure[];
}

/**
 * Removes networks no longer wanted, every one attempted; a network still in use is left in place where the
 * plan's step says so (NetworkInUseError, raised by the adapter), and fails otherwise.
 */
export async function removeNetworks(
  removals: readonly NetworkRemoval[],
  engine: Pick<Engine, 'removeNetwork'>,
  report: (project: string | null, line: string) => void,
): Promise<NetworkRemovalReport> {
  const removed: string[] = [];
  const kept: NetworkRemovalReport['kept'] = [];
  const failures = await attemptAll(
    removals,
    ({ network }) => `network ${network.name}`,
    async ({ network, reason, ifInUse }) => {
      const project = network.labels[LABEL.project] ?? null;
      try {
        await engine.removeNetwork(network.name, NETWORK_ENDPOINTS_GO.delaysMs);
      } catch (error) {
        if (!(error instanceof NetworkInUseError && ifInUse === 'keep')) throw error;
        kept.push({ name: network.name, users: error.users });
        report(project, `left network ${network.name} in place: ${error.users} container(s) still use it`);
        return;
      }
      removed.push(network.name);
      report(project, `removed network ${network.name}${reason ? ` (${reason})` : ''}`);
    },
  );
  return { removed, kept, failures };
}
