import { describe, expect, it } from 'vitest';
import {
  formatShortVolume,
  isHostPath,
  parseShortVolume,
  volumeTarget,
  withSource,
} from '../../src/compose/volumes.js';

describe("Compose's short volume syntax, read in one place", () => {
  it('reads target, source:target and source:target:mode, and writes them back the same', () => {
    for (const [text, parsed] of [
      ['/data', { source: undefined, target: '/data', mode: undefined }],
      ['data:/data', { source: 'data', target: '/data', mode: undefined }],
      ['./notebooks:/home/jovyan/work:ro', { source: './notebooks', target: '/home/jovyan/work', mode: 'ro' }],
      ['/srv:/srv:ro,z', { source: '/srv', target: '/srv', mode: 'ro,z' }],
    ] as const) {
      expect(parseShortVolume(text)).toEqual(parsed);
      expect(formatShortVolume(parseShortVolume(text))).toBe(text);
    }
  });

  it('changes only an entry that has a source, short or long', () => {
    const upper = (source: string) => source.toUpperCase();
    expect(withSource('/anonymous', upper)).toBe('/anonymous');
    expect(withSource('data:/data:ro', upper)).toBe('DATA:/data:ro');
    expect(withSource({ type: 'volume', source: 'data', target: '/d' }, upper)).toEqual({
      type: 'volume',
      source: 'DATA',
      target: '/d',
    });
    expect(withSource('data:/data', () => undefined)).toBe('data:/data');
  });

  it('tells where an entry mounts, and a host path from a named volume', () => {
    expect(volumeTarget('data:/data:ro')).toBe('/data');
    expect(volumeTarget('/cache')).toBe('/cache');
    expect(volumeTarget({ type: 'bind', source: '.', target: '/w' })).toBe('/w');
    expect(['./x', '/x', '~/x', 'x'].map(isHostPath)).toEqual([true, true, true, false]);
  });
});
