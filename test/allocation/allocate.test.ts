import { describe, expect, it } from 'vitest';
import { allocate, type Request } from '../../src/allocation/allocate.js';
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
