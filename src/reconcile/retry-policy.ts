/**
 * How long envctl waits for what an engine or a swarm is still doing, and how often it asks again: decisions,
 * kept here with the rest of reconcile's, so that the executor and the adapter only carry them out.
 */
export interface RetryPolicy {
  /** The waits between one try and the next; after the last, the step has failed. */
  delaysMs: readonly number[];
}

function every(everyMs: number, forMs: number): RetryPolicy {
  return { delaysMs: Array.from({ length: Math.floor(forMs / everyMs) }, () => everyMs) };
}

/**
 * dockerd can refuse to remove a network "with active endpoints" for a moment after its last container went
 * (envctl removes containers in parallel): three tries more over 1.7 s, then the endpoint is a stale one.
 */
export const NETWORK_ENDPOINTS_GO: RetryPolicy = { delaysMs: [200, 500, 1000] };

/** An overlay's removal is refused while its tasks shut down, and it is listed a few seconds after: 30 s. */
export const OVERLAY_REMOVAL: RetryPolicy = every(500, 30_000);

/** A node's volume is refused while the removed service's task still shuts down there: 30 s. */
export const VOLUME_RELEASE: RetryPolicy = every(500, 30_000);

/**
 * How long a changed swarm service may take to have a running task: the swarm retries a task it rejected (a
 * node that no longer fits, an image missing there) on its own, so only none running by then is a failure.
 */
export const SERVICE_RUNNING = { pollMs: 500, timeoutMs: 60_000 };

/** A GPU service is deployed one at a time, each once its task runs (see swarmSteps): a shorter wait each. */
export const GPU_SERVICE_RUNNING = { pollMs: 500, timeoutMs: 30_000 };

/**
 * Ctrl+C of a foreground up on a swarm: how long its services' tasks may take to end (their stop grace period
 * is the swarm's to keep) before envctl says which still run.
 */
export const SERVICE_STOPPED = { pollMs: 500, timeoutMs: 60_000 };
