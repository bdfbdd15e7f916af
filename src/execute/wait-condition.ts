import { EngineError } from '../errors/envctl-error.js';
import type { DependencyCondition } from '../reconcile/desired.js';
import type { ContainerInspect, Engine } from '../engine/engine.js';

/** The part of an inspected container's state a condition reads. */
type ContainerState = Partial<Pick<ContainerInspect['State'], 'Status' | 'ExitCode'>> & {
  Health?: { Status?: string; Log?: Array<{ Output?: string; ExitCode?: number }> };
};

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until a dependency reaches its depends_on condition, as Compose does: started, healthy (by its health
 * check), or exited 0. A dependency that cannot get there (unhealthy, exited, no health check) fails the
 * dependent's project with what the engine last said of it.
 */
export async function waitForCondition(
  engine: Engine,
  dependent: string,
  dependency: { containerName: string; condition: DependencyCondition },
  options: { sleep?: Sleep; pollMs?: number } = {},
): Promise<void> {
  if (dependency.condition === 'service_started') return;
  const sleep = options.sleep ?? realSleep;
  for (;;) {
    const info = await engine.inspectContainer(dependency.containerName);
    const verdict = conditionVerdict(info, dependency.condition);
    if (verdict === 'met') return;
    if (verdict !== 'waiting') {
      throw new EngineError(
        `${dependent} waits for ${dependency.containerName} (${dependency.condition}), which ${verdict}.`,
        {
          hint: 'Fix that service (its command or its health check), then run envctl up again.',
        },
      );
    }
    await sleep(options.pollMs ?? 250);
  }
}

/** 'met', 'waiting', or why the condition can no longer be met. */
export function conditionVerdict(info: { State?: ContainerState }, condition: DependencyCondition): string {
  const state = info.State ?? {};
  const exited = state.Status === 'exited' || state.Status === 'dead';
  if (condition === 'service_completed_successfully') {
    if (!exited) return 'waiting';
    return state.ExitCode === 0 ? 'met' : `exited with code ${state.ExitCode}`;
  }
  if (!state.Health) return 'has no health check (add a healthcheck to it, or depend on service_started)';
  if (state.Health.Status === 'healthy') return 'met';
  const last = state.Health.Log?.at(-1);
  const output = last?.Output?.trim()
    ? `; its last health check said: ${last.Output.trim().split('\n').slice(-5).join(' | ')}`
    : '';
  if (state.Health.Status === 'unhealthy') return `is unhealthy${output}`;
  if (exited) return `exited with code ${state.ExitCode} before it was healthy${output}`;
  return 'waiting';
}
