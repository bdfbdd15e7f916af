import { ExhaustedError } from '../errors/envctl-error.js';
import type { ObservedNetwork } from '../engine/observed.js';
import type { SwarmNode, SwarmService, SwarmTask } from '../engine/swarm.js';
import { LABEL, SWARM_SPEC_HASH } from '../model/labels.js';
import type { SwarmDesired, SwarmNetworkSpec, SwarmServiceSpec } from './swarm-desired.js';

export interface SwarmPlan {
  /** Made when the swarm has none of that name (the executor asks; listings lag behind removals). */
  createNetworks: SwarmNetworkSpec[];
  create: SwarmServiceSpec[];
  /** `stopped`: same spec, its tasks stopped (Ctrl+C of a foreground up): it starts again. */
  update: Array<{ spec: SwarmServiceSpec; id: string; version: number; stopped?: true }>;
  unchanged: SwarmServiceSpec[];
  remove: SwarmService[];
  removeNetworks: ObservedNetwork[];
}

/**
 * Pure: what to change so the swarm runs what which-project lists: services absent are created, those whose
 * spec hash changed (or that were stopped) are updated, unchanged ones are left alone, the workspace's services
 * no longer desired are removed (within `only`, when given), then networks no service of the workspace needs.
 */
export function planSwarm(
  desired: SwarmDesired,
  observed: { services: readonly SwarmService[]; networks: readonly ObservedNetwork[] },
  only?: ReadonlySet<string>,
): SwarmPlan {
  const inScope = (project: string | undefined) => !only || (project !== undefined && only.has(project));
  const ours = observed.services.filter((service) => service.labels[LABEL.root] === desired.root);
  const byName = new Map(ours.map((service) => [service.name, service]));
  const wanted = desired.services.filter((service) => inScope(service.project));
  const plan: SwarmPlan = { createNetworks: [], create: [], update: [], unchanged: [], remove: [], removeNetworks: [] };
  for (const spec of wanted) {
    const found = byName.get(spec.name);
    if (!found) plan.create.push(spec);
    else if (found.labels[SWARM_SPEC_HASH] !== spec.hash)
      plan.update.push({ spec, id: found.id, version: found.version });
    else if (found.replicas === 0) plan.update.push({ spec, id: found.id, version: found.version, stopped: true });
    else plan.unchanged.push(spec);
  }
  const desiredNames = new Set(desired.services.map((service) => service.name));
  plan.remove = ours.filter((service) => !desiredNames.has(service.name) && inScope(service.labels[LABEL.project]));
  // Every desired network is made unless the swarm has it: a node's lingering local copy of a removed overlay
  // is listed too, so "listed" is not "there"; making one that is there is answered "exists", and skipped.
  plan.createNetworks = desired.networks;
  const desiredNetworks = new Set(desired.networks.map((network) => network.name));
  plan.removeNetworks = observed.networks.filter(
    (network) => network.labels[LABEL.root] === desired.root && !desiredNetworks.has(network.name) && !only,
  );
  return plan;
}

/** The plan less the creations and updates of `projects` (their images did not build): what runs stays. */
export function withoutProjects(plan: SwarmPlan, projects: ReadonlySet<string>): SwarmPlan {
  if (projects.size === 0) return plan;
  const kept = (spec: SwarmServiceSpec) => !projects.has(spec.project);
  return {
    ...plan,
    create: plan.create.filter(kept),
    update: plan.update.filter((update) => kept(update.spec)),
  };
}

/** Each node's GPUs, and who holds which (from the running tasks' generic resources). */
export interface NodeGpus {
  node: SwarmNode;
  free: number;
  holders: string[];
}

/**
 * Pure: every service to create or update that reserves GPUs must fit on a node its constraints allow, with
 * the GPUs free there (first fit, biggest request first); otherwise nothing is deployed and the error says
 * what each node has free and who holds the rest. Returns the node each one fits on: envctl pins it there,
 * because the swarm's scheduler, counting named GPUs loosely, can keep sending a task to a full node.
 */
export function checkGpuFit(
  plan: SwarmPlan,
  nodes: readonly SwarmNode[],
  tasks: readonly SwarmTask[],
  services: readonly SwarmService[],
): Map<string, GpuPin> {
  const pins = new Map<string, GpuPin>();
  const gpus = nodeGpus(nodes, tasks, services, new Set(plan.update.map((update) => update.id)));
  const needs = [...plan.create, ...plan.update.map((update) => update.spec)]
    .filter((spec) => spec.gpus > 0)
    .sort((a, b) => b.gpus - a.gpus);
  for (const spec of needs) {
    const fit = gpus.find((entry) => entry.free >= spec.gpus && allows(spec.constraints, entry.node));
    if (fit) {
      fit.free -= spec.gpus;
      fit.holders.push(spec.project);
      pins.set(spec.name, { nodeId: fit.node.id, shared: [] });
      continue;
    }
    const each = [...gpus]
      .sort((a, b) => (a.node.hostname < b.node.hostname ? -1 : 1))
      .map(
        ({ node, free, holders }) =>
          `${node.hostname}: ${free} of ${node.gpus.length} free${holders.length ? ` (held by ${[...new Set(holders)].join(', ')})` : ''}`,
      )
      .join('; ');
    throw new ExhaustedError(
      `Project "${spec.project}" asks for ${spec.gpus} GPU(s) of its own, and no node` +
        `${spec.constraints.length ? ` matching ${spec.constraints.join(', ')}` : ''} has that many free: ${each || 'the swarm has no GPU node'}.`,
      {
        hint: 'Stop a project that holds GPUs (take it out of which-project), ask for fewer, or add a GPU node to the swarm.',
      },
    );
  }
  for (const spec of [...plan.create, ...plan.update.map((update) => update.spec)].filter((s) => s.sharedGpus > 0)) {
    // Shared: no reservation, so the scheduler cannot place it; envctl names the node and its first GPUs.
    const node = nodes.find(
      (candidate) => candidate.gpus.length >= spec.sharedGpus && allows(spec.constraints, candidate),
    );
    if (!node) {
      throw new ExhaustedError(
        `Project "${spec.project}" shares ${spec.sharedGpus} GPU(s), and no node` +
          `${spec.constraints.length ? ` matching ${spec.constraints.join(', ')}` : ''} has that many.`,
        { hint: 'Ask for fewer GPUs, or add a GPU node to the swarm.' },
      );
    }
    pins.set(spec.name, { nodeId: node.id, shared: node.gpus.slice(0, spec.sharedGpus) });
  }
  return pins;
}

/** The node a GPU service is placed on, and for a shared one the GPUs it is given there. */
export interface GpuPin {
  nodeId: string;
  shared: string[];
}

function nodeGpus(
  nodes: readonly SwarmNode[],
  tasks: readonly SwarmTask[],
  services: readonly SwarmService[],
  replaced: ReadonlySet<string>,
): NodeGpus[] {
  const projectOf = new Map(services.map((service) => [service.id, service.labels[LABEL.project] ?? service.name]));
  return nodes
    .filter((node) => node.availability === 'active' && node.state === 'ready')
    .map((node) => {
      const holding = tasks.filter(
        (task) =>
          task.nodeId === node.id &&
          task.desiredState === 'running' &&
          task.gpus.length &&
          !replaced.has(task.serviceId),
      );
      const held = holding.reduce((sum, task) => sum + task.gpus.length, 0);
      return {
        node,
        free: node.gpus.length - held,
        holders: holding.map((task) => projectOf.get(task.serviceId) ?? task.serviceId),
      };
    });
}

/** Whether a node meets a service's constraints (node.hostname, node.labels.X; == and !=). */
export function allows(constraints: readonly string[], node: SwarmNode): boolean {
  return constraints.every((constraint) => {
    const found = /^\s*([\w.-]+)\s*(==|!=)\s*(.+?)\s*$/.exec(constraint);
    if (!found) return true;
    const [, key, op, value] = found as unknown as [string, string, string, string];
    const actual =
      key === 'node.hostname'
        ? node.hostname
        : key === 'node.id'
          ? node.id
          : key === 'node.role'
            ? node.role
            : key.startsWith('node.labels.')
              ? node.labels[key.slice('node.labels.'.length)]
              : undefined;
    return op === '==' ? actual === value : actual !== value;
  });
}
