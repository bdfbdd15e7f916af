import { appendFileSync } from 'node:fs';
import type { Engine } from './engine.js';

/**
 * Measures the watch reaction time, file saved → first engine call, for the benchmarks: arm it when the
 * first event of a batch arrives; the next call through the wrapped engine records the delay. With
 * ENVCTL_REACTION_LOG set, each measurement is appended there as a JSON line.
 */
export class ReactionTimer {
  private armedAt: number | undefined;
  readonly measurements: number[] = [];

  constructor(private readonly logFile = process.env.ENVCTL_REACTION_LOG) {}

  arm(at: number): void {
    this.armedAt ??= at;
  }

  /** A reconcile that stopped before reaching the engine (a file that does not parse) measures nothing. */
  disarm(): void {
    this.armedAt = undefined;
  }

  wrap(engine: Engine): Engine {
    return new Proxy(engine, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        // The watcher's health check of the engine is no reaction to a file.
        if (property === 'answers') return (value as () => unknown).bind(target);
        return (...args: unknown[]) => {
          this.record();
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }

  private record(): void {
    if (this.armedAt === undefined) return;
    const ms = performance.now() - this.armedAt;
    this.armedAt = undefined;
    this.measurements.push(ms);
    if (this.logFile) appendFileSync(this.logFile, `${JSON.stringify({ reactionMs: Math.round(ms * 10) / 10 })}\n`);
  }
}
