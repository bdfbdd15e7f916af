import type { Swarm, SwarmNode, SwarmService, SwarmTask } from '../engine/swarm.js';
import { LABEL } from '../model/labels.js';
import { OVERLAY_REMOVAL, type RetryPolicy } from '../reconcile/retry-policy.js';
import { stepProject, type SwarmStep, type Wait } from '../reconcile/swarm-steps.js';
import { realSleep, type Sleep } from './wait-condition.js';

/** Time, passed in so that a test of the waits needs no real seconds. */
export interface Clock {
  now(): number;
  sleep: Sleep;
}

export const REAL_CLOCK: Clock = { now: () => Date.now(), sleep: realSleep };

export interface SwarmEvents {
  change(project: string | null, text: string): void;
  warning(message: string): void;
}

/** What the swarm ran once the steps were done: each service that did not reach running, with the swarm's reason. */
export interface SwarmSettled {
  failures: Array<{ project: string; service: string; reason: string }>;
  tasks: SwarmTask[];
  services: SwarmService[];
  nodes: SwarmNode[];
}

/** Carries the steps out in order, each said as it is done; the last wait's view of the swarm is returned. */
export async function applySwarmSteps(
  swarm: Swarm,
  steps: readonly SwarmStep[],
  events: SwarmEvents,
  clock: Clock = REAL_CLOCK,
): Promise<SwarmSettled | undefined> {
  let settled: SwarmSettled | undefined;
  for (const step of steps) {
    const project = stepProject(step);
    switch (step.kind) {
      case 'create-network':
        if (await swarm.createNetwork(step.network.create))
          events.change(null, `created overlay network ${step.network.name}`);
        break;
      case 'create-service':
        await swarm.createService(step.spec);
        events.change(project, `created service ${step.name}`);
        await waitIfAsked(swarm, step.name, step.wait, clock);
        break;
      case 'update-service':
        await swarm.updateService(step.id, step.version, step.spec);
        events.change(project, `${step.starts ? 'started' : 'updated'} service ${step.name}`);
        await waitIfAsked(swarm, step.name, step.wait, clock);
        break;
      case 'remove-service':
        await swarm.removeService(step.service.id);
        events.change(project, `removed service ${step.service.name}`);
        break;
      case 'remove-network':
        await removeOverlay(swarm, step.network.name, clock);
        events.change(null, `removed network ${step.network.name}`);
        break;
      case 'restart-service':
        await swarm.forceUpdate(step.service.id);
        events.change(project, `restarted service ${step.service.name}`);
        settled = merged(settled, await untilRunning(swarm, [step.service.name], step.wait, clock, step.replacing));
        break;
      case 'wait-running':
        settled = await untilRunning(swarm, step.names, step.wait, clock);
        break;
      case 'stop-service':
        await swarm.scale(step.service.id, 0); // said once its tasks are gone (wait-stopped)
        break;
      case 'wait-stopped':
        await untilStopped(swarm, step, clock, events);
        break;
      default:
        step satisfies never;
    }
  }
  return settled;
}

async function waitIfAsked(swarm: Swarm, name: string, wait: Wait, clock: Clock): Promise<void> {
  if (wait) await untilRunning(swarm, [name], wait, clock);
}

/**
 * An overlay can be removed once its tasks are gone, and it is gone a few seconds after the swarm said yes:
 * wait for both, so that what `down` reports removed is removed, and an `up` right after makes it anew.
 */
async function removeOverlay(swarm: Swarm, name: string, clock: Clock): Promise<void> {
  await retrying(OVERLAY_REMOVAL, clock, () => swarm.removeNetwork(name));
  await retrying(OVERLAY_REMOVAL, clock, async () => {
    if ((await swarm.networks()).some((network) => network.name === name))
      throw new Error(`network ${name} is still there`);
  });
}

/** `work` tried again after each of the policy's waits while it fails; then its last failure. */
export async function retrying(policy: RetryPolicy, clock: Clock, work: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const delay = policy.delaysMs[attempt];
      if (delay === undefined) throw error;
      await clock.sleep(delay);
    }
  }
}

/** Polls until no task of the services runs; past the wait, each that still does is said, not waited for. */
async function untilStopped(
  swarm: Swarm,
  step: Extract<SwarmStep, { kind: 'wait-stopped' }>,
  clock: Clock,
  events: SwarmEvents,
): Promise<void> {
  const deadline = clock.now() + step.wait.timeoutMs;
  let waiting = step.services;
  for (;;) {
    const tasks = await swarm.tasks(waiting.map((service) => service.id));
    const running = waiting.filter((service) =>
      tasks.some((task) => task.serviceId === service.id && task.state === 'running'),
    );
    for (const service of waiting.filter((candidate) => !running.includes(candidate)))
      events.change(service.labels[LABEL.project] ?? null, `stopped service ${service.name}`);
    waiting = running;
    if (running.length === 0) return;
    if (clock.now() > deadline) {
      for (const service of running)
        events.warning(`${service.name} still runs ${step.wait.timeoutMs / 1000} s after being stopped`);
      return;
    }
    await clock.sleep(step.wait.pollMs);
  }
}

/** Two waits' views of the swarm: the later one's, with the failures of both. */
function merged(earlier: SwarmSettled | undefined, later: SwarmSettled): SwarmSettled {
  return earlier ? { ...later, failures: [...earlier.failures, ...later.failures] } : later;
}

/**
 * Polls until each named service has a running task (none of `replaced`, the tasks a restart replaces), or the
 * wait is over: then the swarm's last reason.
 */
async function untilRunning(
  swarm: Swarm,
  names: readonly string[],
  wait: NonNullable<Wait>,
  clock: Clock,
  replaced: readonly string[] = [],
): Promise<SwarmSettled> {
  const deadline = clock.now() + wait.timeoutMs;
  for (;;) {
    const [services, tasks, nodes] = await Promise.all([swarm.services(LABEL.root), swarm.tasks(), swarm.nodes()]);
    const serviceOf = (name: string) => services.find((candidate) => candidate.name === name);
    const running = (service: SwarmService | undefined) =>
      tasks.some(
        (task) =>
          task.serviceId === service?.id &&
          task.state === 'running' &&
          task.desiredState === 'running' &&
          !replaced.includes(task.id),
      );
    const pending = names.filter((name) => !running(serviceOf(name)));
    if (pending.length === 0 || clock.now() > deadline) {
      const failures = pending.map((name) => {
        const service = serviceOf(name);
        const last = tasks.filter((task) => task.serviceId === service?.id).find((task) => task.error);
        const reason = last?.error ?? `no task of it runs after ${wait.timeoutMs / 1000} s`;
        return { project: service?.labels[LABEL.project] ?? name, service: name, reason };
      });
      return { failures, tasks, services, nodes };
    }
    await clock.sleep(wait.pollMs);
  }
}
