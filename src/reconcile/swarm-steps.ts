import type { ObservedNetwork } from '../engine/observed.js';
import type { SwarmService, SwarmTask } from '../engine/swarm.js';
import { GPU_LABEL, LABEL } from '../model/labels.js';
import { GPU_SERVICE_RUNNING, SERVICE_RUNNING, SERVICE_STOPPED } from './retry-policy.js';
import type { SwarmNetworkSpec, SwarmServiceSpec } from './swarm-desired.js';
import type { GpuPin, SwarmPlan } from './swarm-plan.js';

/** One thing to do to the swarm, with why; the executor carries the steps out in order, deciding nothing. */
export type SwarmStep =
  | { kind: 'create-network'; network: SwarmNetworkSpec; reason: string }
  | { kind: 'create-service'; name: string; project: string; spec: Record<string, unknown>; wait: Wait; reason: string }
  | {
      kind: 'update-service';
      name: string;
      project: string;
      id: string;
      version: number;
      spec: Record<string, unknown>;
      wait: Wait;
      /** It was stopped, and its spec is the same: said "started". */
      starts: boolean;
      reason: string;
    }
  | { kind: 'remove-service'; service: SwarmService; reason: string }
  /** No task of it any more, its spec kept (Ctrl+C of a foreground up); `up` starts it again. */
  | { kind: 'stop-service'; service: SwarmService; reason: string }
  | { kind: 'wait-stopped'; services: SwarmService[]; wait: NonNullable<Wait>; reason: string }
  /** New tasks of the same spec; up once a task runs that is none of `replacing`. */
  | { kind: 'restart-service'; service: SwarmService; replacing: string[]; wait: NonNullable<Wait>; reason: string }
  | { kind: 'remove-network'; network: ObservedNetwork; reason: string }
  | { kind: 'wait-running'; names: string[]; wait: NonNullable<Wait>; reason: string };

/** How long the executor waits for a service's task to run before the next step; none: it goes on at once. */
export type Wait = { timeoutMs: number; pollMs: number } | undefined;

/**
 * Pure: the plan as ordered steps. Networks first; then services without GPUs, because on Engine 20.10 a GPU
 * task that lands on a node where no task of its overlay network runs yet can be rejected for good ("node is
 * missing network attachments"), and one that runs there first gives the node its attachment; then one GPU
 * service at a time, each once its task runs, because given several at once the scheduler can promise two of
 * them the same node's last GPU. Each GPU service is pinned to the node the fit check chose; then removals.
 */
export function swarmSteps(plan: SwarmPlan, pins: ReadonlyMap<string, GpuPin>): SwarmStep[] {
  const gpuCount = (spec: SwarmServiceSpec) => spec.gpus + spec.sharedGpus;
  const waitFor = (spec: SwarmServiceSpec): Wait => (spec.gpus > 0 ? GPU_SERVICE_RUNNING : undefined);
  const placed = (spec: SwarmServiceSpec) => pinned(spec, pins.get(spec.name));
  return [
    ...plan.createNetworks.map((network) => ({
      kind: 'create-network' as const,
      network,
      reason: 'a project of the workspace uses it',
    })),
    ...[...plan.create]
      .sort((a, b) => gpuCount(a) - gpuCount(b))
      .map((spec) => ({
        kind: 'create-service' as const,
        name: spec.name,
        project: spec.project,
        spec: placed(spec),
        wait: waitFor(spec),
        reason: reasonOf(spec, pins, 'which-project lists it and the swarm has no such service'),
      })),
    ...plan.update.map(({ spec, id, version, stopped }) => ({
      kind: 'update-service' as const,
      name: spec.name,
      project: spec.project,
      id,
      version,
      spec: placed(spec),
      wait: waitFor(spec),
      starts: stopped === true,
      reason: reasonOf(spec, pins, stopped ? 'it was stopped and which-project lists it' : 'its spec changed'),
    })),
    ...plan.remove.map((service) => ({
      kind: 'remove-service' as const,
      service,
      reason: 'its project is not in which-project',
    })),
    ...plan.removeNetworks.map((network) => ({
      kind: 'remove-network' as const,
      network,
      reason: 'no project of the workspace uses it',
    })),
    ...waitForChanged(plan),
  ];
}

function waitForChanged(plan: SwarmPlan): SwarmStep[] {
  const names = [...plan.create, ...plan.update.map((update) => update.spec)].map((spec) => spec.name);
  if (names.length === 0) return [];
  const reason = 'a service is up once a task of it runs';
  return [{ kind: 'wait-running', names, wait: SERVICE_RUNNING, reason }];
}

function reasonOf(spec: SwarmServiceSpec, pins: ReadonlyMap<string, GpuPin>, why: string): string {
  const pin = pins.get(spec.name);
  return pin ? `${why}; pinned to node ${pin.nodeId} for its GPUs` : why;
}

/**
 * A GPU service's spec placed on the node the fit check chose (one more constraint; its hash label unchanged);
 * a shared one also named its GPUs there, for the NVIDIA runtime and for `envctl gpus`.
 */
export function pinned(spec: SwarmServiceSpec, pin: GpuPin | undefined): Record<string, unknown> {
  if (!pin) return spec.spec;
  const template = spec.spec.TaskTemplate as {
    Placement?: { Constraints?: string[] };
    ContainerSpec: { Env?: string[]; Labels?: Record<string, string> };
  };
  const shared = pin.shared.length
    ? { [GPU_LABEL.gpus]: pin.shared.join(','), [GPU_LABEL.sharing]: 'shared' }
    : undefined;
  const container = shared
    ? {
        ...template.ContainerSpec,
        Env: [...(template.ContainerSpec.Env ?? []), `NVIDIA_VISIBLE_DEVICES=${pin.shared.join(',')}`],
        Labels: { ...template.ContainerSpec.Labels, ...shared },
      }
    : template.ContainerSpec;
  return {
    ...spec.spec,
    Labels: shared ? { ...(spec.spec.Labels as Record<string, string>), ...shared } : spec.spec.Labels,
    TaskTemplate: {
      ...template,
      ContainerSpec: container,
      Placement: {
        ...template.Placement,
        Constraints: [...(template.Placement?.Constraints ?? []), `node.id==${pin.nodeId}`],
      },
    },
  };
}

/** Pure: `down` on a swarm: the workspace's services (of `only`), then, when all go, its overlay networks. */
export function swarmDownSteps(
  root: string,
  observed: { services: readonly SwarmService[]; networks: readonly ObservedNetwork[] },
  only: ReadonlySet<string> | undefined,
): SwarmStep[] {
  const services = observed.services.filter(
    (service) => service.labels[LABEL.root] === root && (!only || only.has(service.labels[LABEL.project] ?? '')),
  );
  const networks = only ? [] : observed.networks.filter((network) => network.labels[LABEL.root] === root);
  const reason = only ? 'envctl down names its project' : 'envctl down';
  return [
    ...services.map((service) => ({ kind: 'remove-service' as const, service, reason })),
    ...networks.map((network) => ({ kind: 'remove-network' as const, network, reason })),
  ];
}

/**
 * Pure: Ctrl+C of a foreground up on a swarm, as `docker compose up` stops its containers: each running service
 * of the workspace (of `only`) scaled to no task, its spec and volumes kept, then a wait for its tasks to end.
 */
export function swarmStopSteps(
  root: string,
  services: readonly SwarmService[],
  only: ReadonlySet<string> | undefined,
): SwarmStep[] {
  const stopping = services.filter(
    (service) =>
      service.labels[LABEL.root] === root &&
      (service.replicas ?? 0) > 0 &&
      (!only || only.has(service.labels[LABEL.project] ?? '')),
  );
  if (stopping.length === 0) return [];
  const reason = 'Ctrl+C of a foreground envctl up';
  return [
    ...stopping.map((service) => ({ kind: 'stop-service' as const, service, reason })),
    { kind: 'wait-stopped', services: stopping, wait: SERVICE_STOPPED, reason: 'stopped once no task of it runs' },
  ];
}

/** Pure: `restart` on a swarm: each service of the projects named (all when none) gets tasks anew. */
export function swarmRestartSteps(
  root: string,
  observed: { services: readonly SwarmService[]; tasks: readonly SwarmTask[] },
  projects: ReadonlySet<string> | undefined,
): SwarmStep[] {
  return observed.services
    .filter((service) => service.labels[LABEL.root] === root)
    .filter((service) => !projects || projects.has(service.labels[LABEL.project] ?? ''))
    .map((service) => ({
      kind: 'restart-service' as const,
      service,
      replacing: observed.tasks.filter((task) => task.serviceId === service.id).map((task) => task.id),
      wait: SERVICE_RUNNING,
      reason: 'envctl restart',
    }));
}

/** The project a step is about, for its change line; null for a network. */
export function stepProject(step: SwarmStep): string | null {
  if (step.kind === 'create-service' || step.kind === 'update-service') return step.project;
  if (step.kind === 'remove-service' || step.kind === 'restart-service' || step.kind === 'stop-service')
    return step.service.labels[LABEL.project] ?? null;
  return null;
}
