import { describe, expect, it } from 'vitest';
import { allocate, nextState, seedGrants, type Request } from '../../src/allocation/allocate.js';
import type { Grant } from '../../src/model/grant.js';

const numbers = { conflicts: (a: number, b: number) => a === b };
const request = (key: string, candidates: number[], signature = ''): Request<number> => ({
  key,
  signature,
  candidates: () => candidates,
});
const grants = (entries: Array<[string, number, string?]>) =>
  new Map<string, Grant<number>>(entries.map(([key, value, signature = '']) => [key, { key, value, signature }]));

describe('allocate', () => {
  it('gives each key its first free candidate, never the same value twice', async () => {
    const outcome = await allocate(
      [request('a', [1, 2, 3]), request('b', [1, 2, 3]), request('c', [1, 2, 3])],
      new Map(),
      [],
      {
        ...numbers,
        isAvailable: () => true,
      },
    );
    expect([...outcome.granted.values()].map((g) => g.value)).toEqual([1, 2, 3]);
    expect(outcome.unmet).toEqual([]);
  });

  it('keeps a previous grant ahead of a newcomer that prefers the same value', async () => {
    const outcome = await allocate([request('new', [5, 6]), request('old', [5, 6])], grants([['old', 5]]), [], {
      ...numbers,
      isAvailable: () => true,
    });
    expect(outcome.granted.get('old')?.value).toBe(5);
    expect(outcome.granted.get('new')?.value).toBe(6);
  });

  it('drops a previous grant that is no longer available or whose preference changed', async () => {
    const busy = new Set([5]);
    const outcome = await allocate(
      [request('gone', [5, 6, 7]), request('moved', [9, 10], 'pref-9')],
      grants([
        ['gone', 5],
        ['moved', 7, 'pref-7'],
      ]),
      [],
      { ...numbers, isAvailable: (value) => !busy.has(value) },
    );
    expect(outcome.granted.get('gone')?.value).toBe(6);
    expect(outcome.granted.get('moved')?.value).toBe(9);
  });

  it('respects reserved values and reports keys that found nothing', async () => {
    const outcome = await allocate([request('a', [1, 2]), request('b', [1, 2])], new Map(), [1], {
      ...numbers,
      isAvailable: () => true,
    });
    expect(outcome.granted.get('a')?.value).toBe(2);
    expect(outcome.unmet).toEqual(['b']);
  });
});

describe('the state one allocation core keeps, for ports, subnets and GPUs alike', () => {
  const grant = (key: string, value: number): Grant<number> => ({ key, value, signature: '' });
  const map = (...grants: Grant<number>[]) => new Map(grants.map((g) => [g.key, g]));

  it("keeps earlier grants the caller does not release, then this run's", () => {
    const previous = map(grant('a', 1), grant('b', 2), grant('c', 3));
    const state = nextState(previous, map(grant('a', 10)), (key) => key === 'b' || key === 'a');
    expect([...state.values()]).toEqual([grant('c', 3), grant('a', 10)]);
  });

  it("fills in from the engine's labels only what the state lost, a group at a time", () => {
    const previous = map(grant('p/gpu/0', 1));
    const seeded = seedGrants(
      previous,
      [grant('p/gpu/1', 7), grant('q/gpu/0', 8), grant('p/gpu/0', 9)],
      (key) => key.split('/')[0]!,
    );
    expect([...seeded.values()]).toEqual([grant('p/gpu/0', 1), grant('q/gpu/0', 8)]);
    expect([...seedGrants(map(grant('a', 1)), [grant('a', 2), grant('b', 3)]).values()]).toEqual([
      grant('a', 1),
      grant('b', 3),
    ]);
  });
});
