import type { LogOptions, LogStream } from './engine.js';
import type { ObservedNetwork } from './observed.js';

/** The generic resource kind a GPU node advertises (daemon.json: node-generic-resources "NVIDIA-GPU=GPU-<uuid>"). */
export const GPU_RESOURCE = 'NVIDIA-GPU';

export interface SwarmNode {
  id: string;
  hostname: string;
  /** The address other nodes and users reach it at. */
  address: string;
  role: 'manager' | 'worker';
  availability: string;
  state: string;
  labels: Record<string, string>;
  /** Its GPUs, from its generic resources: named ones (ids), or a discrete count (ids made up as "#1"...). */
  gpus: string[];
}

export interface SwarmService {
  id: string;
  name: string;
  version: number;
  labels: Record<string, string>;
  ports: Array<{ protocol: string; targetPort: number; publishedPort: number }>;
  /** How many tasks it asks for (replicated mode); 0 once a foreground up's Ctrl+C stopped it. */
  replicas: number | undefined;
}

export interface SwarmTask {
  id: string;
  serviceId: string;
  nodeId: string;
  state: string;
  desiredState: string;
  error: string | undefined;
  containerId: string | undefined;
  /** The GPUs the scheduler gave it (named generic resources). */
  gpus: string[];
}

export interface SwarmStatus {
  active: boolean;
  manager: boolean;
  nodeId: string;
}

/** What envctl reads of and does to a swarm, through one of its managers. */
export interface Swarm {
  /** The manager's address, for messages. */
  readonly address: string;
  status(): Promise<SwarmStatus>;
  nodes(): Promise<SwarmNode[]>;
  /** The services with the label (of that value, when given). */
  services(label: string, value?: string): Promise<SwarmService[]>;
  tasks(serviceIds?: string[]): Promise<SwarmTask[]>;
  /** The swarm's networks (scope swarm): a node's lingering local copy of a removed one is not among them. */
  networks(): Promise<ObservedNetwork[]>;
  /** Creates a swarm network; false when the swarm already has one of that name. */
  createNetwork(body: Record<string, unknown>): Promise<boolean>;
  /** Creates a service; its id. */
  createService(spec: Record<string, unknown>): Promise<string>;
  /** Replaces a service's spec; `version` is the one read, as the swarm's optimistic lock wants. */
  updateService(id: string, version: number, spec: Record<string, unknown>): Promise<void>;
  removeService(id: string): Promise<void>;
  /** Asks for `replicas` tasks of a replicated service, its spec otherwise kept (`docker service scale`). */
  scale(id: string, replicas: number): Promise<void>;
  /** Replaces a service's tasks with new ones of the same spec (`docker service update --force`). */
  forceUpdate(id: string): Promise<void>;
  /** Streams the output of a service's tasks line by line (`docker service logs`); `done` settles when it ends. */
  serviceLogs(
    id: string,
    options: LogOptions,
    onLine: (line: string, stream: 'stdout' | 'stderr') => void,
  ): Promise<LogStream>;
  /** Asks for a network's removal; the swarm may list it for a while after saying yes. */
  removeNetwork(name: string): Promise<void>;
}
