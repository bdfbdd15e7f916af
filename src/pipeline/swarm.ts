import { keyLocator } from '../workspace/key-location.js';
import { labelledUrl } from '../render/port-url.js';
import type { DockerEngine } from '../engine/docker-engine.js';
import { SwarmEngine, type SwarmNode, type SwarmService, type SwarmTask } from '../engine/swarm-engine.js';
import { EngineError } from '../errors/envctl-error.js';
import type { RenderOutcome } from '../merge/render-outcome.js';
import { GPU_LABEL, LABEL, STACK_NAMESPACE } from '../model/labels.js';
import { unsyncedBindSource } from '../remote/remote-paths.js';
import { swarmDesired, type Placement, type SwarmDesired, type SwarmServiceSpec } from '../reconcile/swarm-desired.js';
import { checkGpuFit, planSwarm, type GpuPin, type SwarmPlan } from '../reconcile/swarm-plan.js';
import { currentHostUser } from '../util/host-user.js';
import type { Workspace } from '../workspace/load.js';
import { desiredOf } from './desired-of.js';
import { storeOf, type EngineChoice } from './edges.js';
import { persistRender } from './persist.js';
import { renderWorkspace, type RenderEdges } from './render-workspace.js';
import type { ServerView } from './summary.js';

export interface SwarmUpOutcome {
  render: RenderOutcome;
  desired: SwarmDesired;
  plan: SwarmPlan;
  /** Projects whose tasks did not reach running, with the swarm's reason. */
  failures: Array<{ project: string; service: string; reason: string }>;
  nodes: SwarmNode[];
  tasks: SwarmTask[];
  services: SwarmService[];
}

export interface SwarmEvents {
  change(project: string | null, text: string): void;
  warning(message: string): void;
}

/** The manager behind a swarm target: it must be one of an active swarm. */
export async function swarmOf(engine: DockerEngine): Promise<SwarmEngine> {
  const swarm = new SwarmEngine(engine.docker, engine.address);
  const status = await swarm.status();
  if (!status.active || !status.manager) {
    throw new EngineError(
      `The engine at ${engine.address} is ${status.active ? 'a worker, not a manager,' : 'not part of a swarm'}: ` +
        'envctl deploys a swarm workspace through a manager.',
      {
        hint: status.active
          ? 'Point engine: at a manager (swarm+ssh://user@manager), or promote this node (docker node promote).'
          : 'Make this engine a manager (docker swarm init --advertise-addr <address>) and join the GPU nodes to it.',
      },
    );
  }
  return swarm;
}

/**
 * envctl up on a swarm: render (ports free of every other service's, subnets clear of the swarm's networks),
 * the desired services as the stack's, a plan against what the swarm runs, the GPU fit over the nodes, then
 * networks, services, removals; and wait for each new task to run or say why not.
 */
export async function swarmUp(
  workspace: Workspace,
  choice: EngineChoice,
  engine: DockerEngine,
  options: { only?: ReadonlySet<string>; dryRun?: boolean },
  events: SwarmEvents,
): Promise<SwarmUpOutcome> {
  const swarm = await swarmOf(engine);
  const [nodes, services, tasks] = await Promise.all([swarm.nodes(), swarm.services(STACK_NAMESPACE), swarm.tasks()]);
  const foreignPorts = new Set(
    services
      .filter((service) => service.labels[LABEL.root] !== workspace.root)
      .flatMap((service) => service.ports.map((port) => port.publishedPort)),
  );
  const store = storeOf(workspace.root, choice);
  const edges: RenderEdges = {
    ports: { isFree: (port) => Promise.resolve(!foreignPorts.has(port)) },
    gpus: {
      discover: () => Promise.resolve({ available: false, reason: "a swarm's GPUs are its nodes' generic resources" }),
    },
    engine,
    routes: { routes: () => Promise.resolve([]) },
    store,
    user: currentHostUser(),
    bindSource: unsyncedBindSource(workspace.root, engine.address),
  };
  const placements = new Map<string, Placement>(
    workspace.projects.map((project) => [
      project.name,
      { ...project.placement, sharedGpus: project.gpuSharing === 'shared' },
    ]),
  );
  let desired: SwarmDesired | undefined;
  const render = await renderWorkspace(
    workspace,
    edges,
    options.dryRun ? () => undefined : (outcome) => persistRender(store, workspace.settings.name, outcome),
    {
      swarm: true,
      check: (outcome) => {
        const wanted = desiredOf(workspace, store.composeDir, outcome, edges.bindSource);
        desired = swarmDesired(wanted, placements, keyLocator(workspace.projects));
      },
    },
  );
  for (const warning of desired!.warnings) events.warning(warning);
  const plan = planSwarm(desired!, { services, networks: await swarm.networks() }, options.only);
  const pins = checkGpuFit(plan, nodes, tasks, services);
  const outcome = { render, desired: desired!, plan, failures: [], nodes, tasks, services };
  if (options.dryRun) return outcome;
  await applySwarmPlan(swarm, engine, plan, pins, events);
  const changed = [...plan.create, ...plan.update.map((update) => update.spec)].map((spec) => spec.name);
  const settled = await settle(swarm, changed);
  return { ...outcome, ...settled };
}

async function applySwarmPlan(
  swarm: SwarmEngine,
  engine: DockerEngine,
  plan: SwarmPlan,
  pins: ReadonlyMap<string, GpuPin>,
  events: SwarmEvents,
): Promise<void> {
  for (const network of plan.createNetworks) {
    if (await swarm.createNetwork(network.create)) events.change(null, `created overlay network ${network.name}`);
  }
  // Services without GPUs first: on Engine 20.10 a GPU task that lands on a node where no task of its overlay
  // network runs yet can be rejected for good ("node is missing network attachments"); one that runs there
  // first gives the node its attachment. Then one GPU service at a time, each once its task runs: given several
  // at once, the scheduler can promise two of them the same node's last GPU.
  const byGpus = [...plan.create].sort((a, b) => a.gpus + a.sharedGpus - (b.gpus + b.sharedGpus));
  for (const spec of byGpus) {
    await swarm.createService(pinned(spec, pins.get(spec.name)));
    events.change(spec.project, `created service ${spec.name}`);
    if (spec.gpus > 0) await settle(swarm, [spec.name], 30_000);
  }
  for (const { spec, id, version } of plan.update) {
    await swarm.updateService(id, version, pinned(spec, pins.get(spec.name)));
    events.change(spec.project, `updated service ${spec.name}`);
    if (spec.gpus > 0) await settle(swarm, [spec.name], 30_000);
  }
  await removeServices(swarm, plan.remove, events);
  await removeOverlays(
    swarm,
    engine,
    plan.removeNetworks.map((network) => network.name),
    events,
  );
}

/**
 * A GPU service's spec placed on the node the fit check chose (one more constraint; its hash label unchanged);
 * a shared one also named its GPUs there, for the NVIDIA runtime and for `envctl gpus`.
 */
function pinned(spec: SwarmServiceSpec, pin: GpuPin | undefined): Record<string, unknown> {
  if (!pin) return spec.spec;
  const template = spec.spec.TaskTemplate as {
    Placement?: { Constraints?: string[] };
    ContainerSpec: { Env?: string[]; Labels?: Record<string, string> };
  };
  const constraints = [...(template.Placement?.Constraints ?? []), `node.id==${pin.nodeId}`];
  const container = pin.shared.length
    ? {
        ...template.ContainerSpec,
        Env: [...(template.ContainerSpec.Env ?? []), `NVIDIA_VISIBLE_DEVICES=${pin.shared.join(',')}`],
        Labels: {
          ...template.ContainerSpec.Labels,
          [GPU_LABEL.gpus]: pin.shared.join(','),
          [GPU_LABEL.sharing]: 'shared',
        },
      }
    : template.ContainerSpec;
  const labels = pin.shared.length
    ? {
        ...(spec.spec.Labels as Record<string, string>),
        [GPU_LABEL.gpus]: pin.shared.join(','),
        [GPU_LABEL.sharing]: 'shared',
      }
    : spec.spec.Labels;
  return {
    ...spec.spec,
    Labels: labels,
    TaskTemplate: {
      ...template,
      ContainerSpec: container,
      Placement: { ...template.Placement, Constraints: constraints },
    },
  };
}

export async function removeServices(
  swarm: SwarmEngine,
  services: readonly SwarmService[],
  events: SwarmEvents,
): Promise<void> {
  for (const service of services) {
    await swarm.removeService(service.id);
    events.change(service.labels[LABEL.project] ?? null, `removed service ${service.name}`);
  }
}

/**
 * An overlay can be removed once its tasks are gone, and it is gone a few seconds after the swarm said yes:
 * wait for both, so that what `down` reports removed is removed, and an `up` right after makes it anew.
 */
export async function removeOverlays(
  swarm: SwarmEngine,
  engine: DockerEngine,
  names: readonly string[],
  events: SwarmEvents,
): Promise<void> {
  for (const name of names) {
    await retry(() => engine.removeNetwork(name));
    await retry(async () => {
      if ((await swarm.networks()).some((network) => network.name === name))
        throw new Error(`network ${name} is still there`);
    });
    events.change(null, `removed network ${name}`);
  }
}

/** Tries `work` every half second for up to 30 s. */
async function retry(work: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= 60) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/**
 * Waits until each changed service has a running task. The swarm retries a task it rejected (a node that
 * no longer fits, an image missing there) on its own, so only a service with none running after 60 s is a
 * failure, with the last reason the swarm gave.
 */
async function settle(
  swarm: SwarmEngine,
  names: readonly string[],
  timeoutMs = 60_000,
): Promise<Pick<SwarmUpOutcome, 'failures' | 'tasks' | 'services' | 'nodes'>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [services, tasks, nodes] = await Promise.all([swarm.services(LABEL.root), swarm.tasks(), swarm.nodes()]);
    const pending = names.filter((name) => {
      const service = services.find((candidate) => candidate.name === name);
      return !tasks.some(
        (task) => task.serviceId === service?.id && task.state === 'running' && task.desiredState === 'running',
      );
    });
    if (pending.length === 0 || Date.now() > deadline) {
      const failures = pending.map((name) => {
        const service = services.find((candidate) => candidate.name === name);
        const last = tasks.filter((task) => task.serviceId === service?.id).find((task) => task.error);
        const reason = last?.error ?? `no task of it runs after ${timeoutMs / 1000} s`;
        return { project: service?.labels[LABEL.project] ?? name, service: name, reason };
      });
      return { failures, tasks, services, nodes };
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** envctl down on a swarm: the workspace's services (of `only`), then its overlay networks. */
export async function swarmDown(
  engine: DockerEngine,
  root: string,
  only: ReadonlySet<string> | undefined,
  events: SwarmEvents,
): Promise<number> {
  const swarm = await swarmOf(engine);
  const services = (await swarm.services(LABEL.root, root)).filter(
    (service) => !only || only.has(service.labels[LABEL.project] ?? ''),
  );
  await removeServices(swarm, services, events);
  if (!only) {
    const networks = (await swarm.networks()).filter((network) => network.labels[LABEL.root] === root);
    await removeOverlays(
      swarm,
      engine,
      networks.map((network) => network.name),
      events,
    );
  }
  return services.length;
}

/** Where each project's task runs: the node's address, for its URLs. */
export function nodeAddresses(outcome: Pick<SwarmUpOutcome, 'tasks' | 'services' | 'nodes'>): ServerView {
  const address = new Map<string, string>();
  for (const task of outcome.tasks.filter((candidate) => candidate.state === 'running')) {
    const service = outcome.services.find((candidate) => candidate.id === task.serviceId);
    const node = outcome.nodes.find((candidate) => candidate.id === task.nodeId);
    const project = service?.labels[LABEL.project];
    if (project && node) address.set(project, node.address);
  }
  return { hostName: 'swarm', forwards: new Map(), addressOf: (project) => address.get(project) };
}

export interface SwarmRow {
  project: string;
  service: string;
  node: string;
  state: string;
  error: string | null;
  urls: string[];
  gpus: string[];
}

/** envctl ps on a swarm: each service of the workspace, the node its task runs on, its URLs there. */
export async function swarmRows(
  engine: DockerEngine,
  root: string,
  secrets: ReadonlyMap<string, Record<string, string>>,
): Promise<SwarmRow[]> {
  const swarm = await swarmOf(engine);
  const [services, tasks, nodes] = await Promise.all([swarm.services(LABEL.root, root), swarm.tasks(), swarm.nodes()]);
  return services
    .map((service) => {
      const current = tasks
        .filter((task) => task.serviceId === service.id && task.desiredState !== 'shutdown')
        .sort((a, b) => (a.state === 'running' ? -1 : b.state === 'running' ? 1 : 0))[0];
      const node = nodes.find((candidate) => candidate.id === current?.nodeId);
      return {
        project: service.labels[LABEL.project] ?? '',
        service: service.labels[LABEL.service] ?? service.name,
        node: node?.hostname ?? '-',
        state: current?.state ?? 'no task',
        error: current?.error ?? null,
        urls:
          node && current?.state === 'running'
            ? service.ports
                .filter((port) => port.protocol === 'tcp')
                .map((port) =>
                  labelledUrl(
                    service.labels,
                    { containerPort: port.targetPort, protocol: port.protocol },
                    secrets.get(service.labels[LABEL.project] ?? '') ?? {},
                    `${node.address}:${port.publishedPort}`,
                  ),
                )
            : [],
        gpus: current?.gpus ?? [],
      };
    })
    .sort((a, b) => (a.project + a.service < b.project + b.service ? -1 : 1));
}

export interface SwarmGpuRow {
  node: string;
  address: string;
  gpu: string;
  heldBy: string | null;
}

/** envctl gpus on a swarm: every node's GPUs and the project whose task holds each. */
export async function swarmGpuRows(engine: DockerEngine): Promise<SwarmGpuRow[]> {
  const swarm = await swarmOf(engine);
  const [nodes, tasks, services] = await Promise.all([swarm.nodes(), swarm.tasks(), swarm.services(LABEL.root)]);
  const projectOf = new Map(services.map((service) => [service.id, service.labels[LABEL.project] ?? service.name]));
  return nodes.flatMap((node) =>
    node.gpus.map((gpu) => {
      const holder = tasks.find(
        (task) => task.nodeId === node.id && task.desiredState === 'running' && task.gpus.includes(gpu),
      );
      const sharers = services
        .filter((service) => (service.labels[GPU_LABEL.gpus] ?? '').split(',').includes(gpu))
        .filter((service) =>
          tasks.some(
            (task) => task.serviceId === service.id && task.nodeId === node.id && task.desiredState === 'running',
          ),
        )
        .map((service) => `${service.labels[LABEL.project] ?? service.name} (shared)`);
      const holders = [...(holder ? [projectOf.get(holder.serviceId) ?? holder.serviceId] : []), ...sharers];
      return { node: node.hostname, address: node.address, gpu, heldBy: holders.length ? holders.join(', ') : null };
    }),
  );
}
