import { EngineError } from '../errors/envctl-error.js';
import type { ContainerInspect, Engine } from '../engine/engine.js';
import { realSleep, type Sleep } from './wait-condition.js';

/** How long up watches what it started, and how long at most it waits for a health check to pass. */
export interface SettleOptions {
  settleMs: number;
  healthMs: number;
  sleep?: Sleep;
  now?: () => number;
}

export interface StartedContainer {
  id: string;
  name: string;
  /** Its restart count when it was started: a higher one since means it crashed and came back. */
  restartsBefore: number;
}

/** How many of a crashed container's last output lines its failure shows. */
const LOG_LINES = 20;

/**
 * A started container is started only once it stays up: up waits `settleMs`, then each container must still
 * run (or have ended with 0, a one-shot job) and not have restarted; one with a health check must pass it.
 * The first that does not fails its project, with its exit code and its last output; it is stopped, so a
 * restart policy does not keep it crashing.
 */
export async function settle(
  engine: Engine,
  containers: readonly StartedContainer[],
  options: SettleOptions,
): Promise<void> {
  if (containers.length === 0 || options.settleMs <= 0) return;
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  await sleep(options.settleMs);
  const deadline = now() + options.healthMs;
  for (const container of containers) {
    for (;;) {
      const verdict = settleVerdict(await engine.inspectContainer(container.id), container.restartsBefore);
      if (verdict.kind === 'settled') break;
      if (verdict.kind === 'failed') throw await settleFailure(engine, container, verdict, options);
      if (now() >= deadline) break;
      await sleep(500);
    }
  }
}

export type SettleVerdict =
  | { kind: 'settled' }
  | { kind: 'waiting' }
  /** `restarting`: it crashed and runs again; the code of its crash is read when it next ends. */
  | { kind: 'failed'; what: string; restarting?: boolean };

/** What a container's state says a moment after its start. */
export function settleVerdict(
  info: Pick<ContainerInspect, 'State' | 'RestartCount'>,
  restartsBefore: number,
): SettleVerdict {
  const state = info.State;
  const code = state.ExitCode;
  const restarts = (info.RestartCount ?? 0) - restartsBefore;
  if (state.Restarting || restarts > 0) {
    const times = restarts > 0 ? ` ${soFar(restarts)}` : '';
    // Running again after a restart, its exit code is no longer the crash's: settleFailure reads it then.
    const exit = state.Restarting ? `exited with code ${code}` : 'exited';
    return { kind: 'failed', what: `${exit} and is being restarted${times}`, restarting: !state.Restarting };
  }
  if (state.Status === 'exited' || state.Status === 'dead')
    return code === 0 ? { kind: 'settled' } : { kind: 'failed', what: `exited with code ${code}` };
  const health = (state as { Health?: { Status?: string; Log?: Array<{ Output?: string }> } }).Health;
  if (health?.Status === 'unhealthy') {
    const said = health.Log?.at(-1)?.Output?.trim().split('\n').slice(-3).join(' | ');
    return { kind: 'failed', what: `is unhealthy${said ? `; its last health check said: ${said}` : ''}` };
  }
  return health?.Status === 'starting' ? { kind: 'waiting' } : { kind: 'settled' };
}

async function settleFailure(
  engine: Engine,
  container: StartedContainer,
  verdict: { what: string; restarting?: boolean },
  options: SettleOptions,
): Promise<EngineError> {
  const what = verdict.restarting ? ((await crashCode(engine, container, options)) ?? verdict.what) : verdict.what;
  const lines: string[] = [];
  try {
    const stream = await engine.logs(container.id, { follow: false, tail: LOG_LINES }, (line) => lines.push(line));
    await stream.done;
  } catch {
    // Its output is a help, not the failure: the failure is said either way.
  }
  await engine.stopContainer(container.id, 1).catch(() => undefined);
  const output = lines.length
    ? `\n  Its last output:\n${lines.map((line) => `    ${line}`).join('\n')}`
    : '\n  It printed nothing.';
  return new EngineError(`${container.name} ${what} within ${options.settleMs / 1000} s of starting.${output}`, {
    hint: `Fix what it runs (its command, or a file it needs), then run envctl up again.`,
  });
}

/** A crash-looping container's exit code, read while the engine waits to restart it (a second at most). */
async function crashCode(engine: Engine, container: StartedContainer, options: SettleOptions) {
  const sleep = options.sleep ?? realSleep;
  for (let tries = 0; tries < 20; tries++) {
    const info = await engine.inspectContainer(container.id);
    const restarts = (info.RestartCount ?? 0) - container.restartsBefore;
    if (info.State.Restarting)
      return `exited with code ${info.State.ExitCode} and is being restarted ${soFar(restarts)}`;
    await sleep(50);
  }
  return undefined;
}

function soFar(restarts: number): string {
  return `(${restarts} restart${restarts === 1 ? '' : 's'} so far)`;
}
