/**
 * The one allocation policy behind host ports, subnets and GPUs:
 * keep what a key had last time while it is still free and still wanted, then give each remaining
 * key the first free candidate in its own order of preference. Pure apart from `isAvailable`,
 * which the edge backs with its probes.
 */

import type { Grant } from '../model/grant.js';

export interface Request<V> {
  /** Stable identity, e.g. "course-a/notebook/8888/tcp". */
  key: string;
  /** What the request wants, in order: the first available one is taken. */
  candidates: () => Iterable<V>;
  /** Changes when the user's preference changes, so a new preference wins over stickiness. */
  signature: string;
}

export interface Policy<V> {
  /** Two values that cannot be held at once (the same port; overlapping subnets). */
  conflicts(a: V, b: V): boolean;
  /** Whether nothing outside envctl holds `value` (a listening socket, a route); may probe. */
  isAvailable(value: V, key: string): boolean | Promise<boolean>;
  /** Whether a previous grant still fits the request (e.g. a subnet still large enough). */
  stillFits?(value: V, request: Request<V>): boolean;
}

export interface Outcome<V> {
  granted: Map<string, Grant<V>>;
  /** Keys for which no candidate was free. */
  unmet: string[];
}

export async function allocate<V>(
  requests: readonly Request<V>[],
  previous: ReadonlyMap<string, Grant<V>>,
  reserved: readonly V[],
  policy: Policy<V>,
): Promise<Outcome<V>> {
  const held: V[] = [...reserved];
  const granted = new Map<string, Grant<V>>();
  const clashes = (value: V) => held.some((other) => policy.conflicts(value, other));
  const take = (request: Request<V>, value: V) => {
    held.push(value);
    granted.set(request.key, { key: request.key, value, signature: request.signature });
  };

  // Sticky grants go first, so a newcomer never takes what a known project had.
  const fresh: Request<V>[] = [];
  for (const request of requests) {
    const before = previous.get(request.key);
    const keep =
      before !== undefined &&
      before.signature === request.signature &&
      (policy.stillFits?.(before.value, request) ?? true) &&
      !clashes(before.value) &&
      (await policy.isAvailable(before.value, request.key));
    if (keep) take(request, before.value);
    else fresh.push(request);
  }

  const unmet: string[] = [];
  for (const request of fresh) {
    let found = false;
    for (const candidate of request.candidates()) {
      if (clashes(candidate)) continue;
      if (!(await policy.isAvailable(candidate, request.key))) continue;
      take(request, candidate);
      found = true;
      break;
    }
    if (!found) unmet.push(request.key);
  }
  return { granted, unmet };
}

/**
 * The state to keep after an allocation, for ports, subnets and GPUs alike: earlier grants the caller does not
 * release (each kind has its own rule of what a run releases), then this run's grants.
 */
export function nextState<V>(
  previous: ReadonlyMap<string, Grant<V>>,
  granted: ReadonlyMap<string, Grant<V>>,
  released: (key: string) => boolean,
): Map<string, Grant<V>> {
  const state = new Map([...previous].filter(([key]) => !released(key)));
  for (const [key, grant] of granted) state.set(key, grant);
  return state;
}

/**
 * The state under compose/ is a cache of decisions; the engine's labels are the truth. Where the state lost a
 * grant that the engine shows (a running container's port, a network's subnet, the GPUs a container holds),
 * the engine's grant is taken, unless the state knows another grant of the same group (a project's GPUs are
 * one group: they are kept or re-made together).
 */
export function seedGrants<V>(
  previous: ReadonlyMap<string, Grant<V>>,
  onEngine: Iterable<Grant<V>>,
  groupOf: (key: string) => string = (key) => key,
): Map<string, Grant<V>> {
  const seeded = new Map(previous);
  const known = new Set([...previous.keys()].map(groupOf));
  for (const grant of onEngine) if (!known.has(groupOf(grant.key))) seeded.set(grant.key, grant);
  return seeded;
}
