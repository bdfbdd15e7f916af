import { describe, expect, it } from 'vitest';
import { describePull, describePulled, PullTally } from '../../src/execute/pull-tally.js';
import { imageLine } from '../../src/cli/progress-board.js';

/** The events a pull of a two-layer image gives, in the order dockerd 20.10 writes them. */
const EVENTS = [
  { status: 'Pulling from envctl-test/layers' },
  { layer: 'aaaaaaaaaaaa', status: 'Pulling fs layer' },
  { layer: 'bbbbbbbbbbbb', status: 'Already exists' },
  { layer: 'aaaaaaaaaaaa', status: 'Downloading', current: 1_000_000, total: 4_000_000 },
  { layer: 'aaaaaaaaaaaa', status: 'Downloading', current: 3_000_000, total: 4_000_000 },
];

describe('a pull in one line', () => {
  it('counts layers done and bytes downloaded of the layers whose size is known', () => {
    const tally = new PullTally();
    for (const event of EVENTS) tally.add(event);
    expect(tally.state()).toEqual({ layers: 2, done: 1, downloaded: 3_000_000, size: 4_000_000 });
    expect(describePull(tally.state())).toBe('1/2 layers, 3.0/4.0 MB, 75%');
    tally.add({ layer: 'aaaaaaaaaaaa', status: 'Download complete' });
    tally.add({ layer: 'aaaaaaaaaaaa', status: 'Extracting', current: 100, total: 4_000_000 });
    expect(describePull(tally.state())).toBe('1/2 layers, 4.0/4.0 MB, 100%');
    tally.add({ layer: 'aaaaaaaaaaaa', status: 'Pull complete' });
    expect(describePulled(tally.state())).toBe('2 layers, 4.0 MB');
  });

  it('says it resolves before the first layer, and leaves out sizes it does not know', () => {
    const tally = new PullTally();
    expect(describePull(tally.state())).toBe('resolving');
    tally.add({ layer: 'cccccccccccc', status: 'Waiting' });
    expect(describePull(tally.state())).toBe('0/1 layers');
    expect(describePulled(tally.state())).toBe('1 layer');
  });

  it("draws a pull's and a build's line, cut to the terminal's width", () => {
    const tally = new PullTally();
    for (const event of EVENTS) tally.add(event);
    const pull = {
      project: 'intro-ml',
      image: 'python:3.11-slim',
      action: 'pull' as const,
      tally,
      step: '',
      stepSince: 0,
      last: '',
    };
    expect(imageLine(pull, 120, 0)).toBe('intro-ml  python:3.11-slim  pulling  1/2 layers, 3.0/4.0 MB, 75%');
    expect(imageLine(pull, 30, 0)).toBe('intro-ml  python:3.11-slim  …');
    const build = {
      ...pull,
      action: 'build' as const,
      step: '[3/7] RUN pip install',
      stepSince: 1000,
      last: 'Collecting numpy',
    };
    expect(imageLine(build, 200, 13_500)).toBe(
      'intro-ml  python:3.11-slim  building  [3/7] RUN pip install 12s | Collecting numpy',
    );
    expect(imageLine({ ...build, step: '', last: '' }, 200, 0)).toBe('intro-ml  python:3.11-slim  building  starting');
    const long = { ...build, step: `[5/5] RUN ${'x'.repeat(200)}` };
    const line = imageLine(long, 100, 13_500);
    expect(line).toHaveLength(99);
    expect(line).toMatch(/building {2}\[5\/5\] RUN x+… 12s \| Collecting numpy$/);
  });
});
