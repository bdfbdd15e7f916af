import { keyLocator } from '../workspace/key-location.js';
import { labelledUrl } from '../render/port-url.js';
import type { DockerEngine } from '../engine/docker-engine.js';
import { connectSwarm } from '../engine/swarm-engine.js';
import type { SwarmNode, SwarmService, SwarmTask } from '../engine/swarm.js';
import { applySwarmSteps, type SwarmEvents } from '../execute/swarm-apply.js';
import type { RenderOutcome } from '../merge/render-outcome.js';
import { GPU_LABEL, LABEL, STACK_NAMESPACE } from '../model/labels.js';
import { unsyncedBindSource } from '../remote/remote-paths.js';
import { swarmDesired, type Placement, type SwarmDesired } from '../reconcile/swarm-desired.js';
import { checkGpuFit, planSwarm, type SwarmPlan } from '../reconcile/swarm-plan.js';
import { swarmDownSteps, swarmSteps } from '../reconcile/swarm-steps.js';
import { currentHostUser } from '../util/host-user.js';
import type { Workspace } from '../workspace/load.js';
import { desiredOf } from './desired-of.js';
import { storeOf, type EngineChoice } from './edges.js';
import { persistRender } from './persist.js';
import { renderWorkspace, type RenderEdges } from './render-workspace.js';
import type { ServerView } from './summary.js';

export type { SwarmEvents };

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
  const swarm = await connectSwarm(engine);
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
  const settled = await applySwarmSteps(swarm, swarmSteps(plan, pins), events);
  return { ...outcome, ...settled };
}

/** envctl down on a swarm: the workspace's services (of `only`), then its overlay networks. */
export async function swarmDown(
  engine: DockerEngine,
  root: string,
  only: ReadonlySet<string> | undefined,
  events: SwarmEvents,
): Promise<number> {
  const swarm = await connectSwarm(engine);
  const [services, networks] = await Promise.all([swarm.services(LABEL.root, root), swarm.networks()]);
  const steps = swarmDownSteps(root, { services, networks }, only);
  await applySwarmSteps(swarm, steps, events);
  return steps.filter((step) => step.kind === 'remove-service').length;
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
  const swarm = await connectSwarm(engine);
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
  const swarm = await connectSwarm(engine);
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
