/**
 * The one allocation policy behind host ports and subnets (and, later, GPUs):
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
