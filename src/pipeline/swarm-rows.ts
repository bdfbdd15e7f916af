import { labelledUrl } from '../render/port-url.js';
import type { Swarm, SwarmNode, SwarmService, SwarmTask } from '../engine/swarm.js';
import { GPU_LABEL, LABEL } from '../model/labels.js';
import type { ServerView } from './summary.js';

/** Where each project's task runs: the node's address, for its URLs. */
export function nodeAddresses(outcome: {
  tasks: SwarmTask[];
  services: SwarmService[];
  nodes: SwarmNode[];
}): ServerView {
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
  swarm: Swarm,
  root: string,
  secrets: ReadonlyMap<string, Record<string, string>>,
): Promise<SwarmRow[]> {
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
        state: current?.state ?? (service.replicas === 0 ? 'stopped' : 'no task'),
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
export async function swarmGpuRows(swarm: Swarm): Promise<SwarmGpuRow[]> {
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
