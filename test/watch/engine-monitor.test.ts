import { describe, expect, it } from 'vitest';
import { EngineMonitor } from '../../src/watch/engine-monitor.js';

describe('EngineMonitor', () => {
  it('reports each change of the engine answering, once, and nothing while it stays the same', async () => {
    const answers = [true, false, false, false, true, true];
    const changes: boolean[] = [];
    const monitor = new EngineMonitor(
      async () => answers.shift() ?? true,
      (answering) => changes.push(answering),
      1,
    );
    monitor.start();
    while (answers.length) await new Promise((resolve) => setTimeout(resolve, 2));
    await new Promise((resolve) => setTimeout(resolve, 10));
    monitor.stop();
    expect(changes).toEqual([false, true]);
  });

  it('takes a ping that throws for an engine that does not answer', async () => {
    const changes: boolean[] = [];
    const monitor = new EngineMonitor(
      async () => {
        throw new Error('ECONNREFUSED');
      },
      (answering) => changes.push(answering),
      1,
    );
    monitor.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    monitor.stop();
    expect(changes).toEqual([false]);
  });
});
