import { EngineError } from '../../src/errors/envctl-error.js';
import type { LogOptions, LogStream } from '../../src/engine/engine.js';
import type { ObservedNetwork } from '../../src/engine/observed.js';
import { GPU_RESOURCE, type Swarm, type SwarmNode, type SwarmService, type SwarmTask } from '../../src/engine/swarm.js';
import { allows } from '../../src/reconcile/swarm-plan.js';

type Spec = Record<string, any>;

interface StoredService {
  service: SwarmService;
  spec: Spec;
}

/**
 * A swarm in memory for unit tests: nodes with named GPUs, services scheduled at once as one task each on the
 * first node their constraints allow with the GPUs they reserve free (else pending, with the swarm's reason),
 * networks that a service's use keeps. test/engine/swarm-contract.test.ts and test/e2e/swarm.test.ts run one
 * contract on this and on a real swarm (test/support/swarm-contract.ts), so it behaves as the real one does.
 */
export class MemorySwarm implements Swarm {
  readonly address = 'memory://swarm';
  readonly calls: string[] = [];
  private readonly nodeList: SwarmNode[];
  private readonly serviceMap = new Map<string, StoredService>();
  private readonly taskList: SwarmTask[] = [];
  private readonly networkMap = new Map<string, ObservedNetwork>();
  private index = 10;

  constructor(nodes: Array<{ hostname: string; gpus?: string[]; labels?: Record<string, string> }>) {
    this.nodeList = nodes.map((node, i) => ({
      id: `node-${i + 1}`,
      hostname: node.hostname,
      address: `10.0.0.${i + 11}`,
      role: i === 0 ? 'manager' : 'worker',
      availability: 'active',
      state: 'ready',
      labels: node.labels ?? {},
      gpus: node.gpus ?? [],
    }));
  }

  status() {
    return Promise.resolve({ active: true, manager: true, nodeId: this.nodeList[0]?.id ?? '' });
  }

  nodes(): Promise<SwarmNode[]> {
    return Promise.resolve(this.nodeList.map((node) => ({ ...node })));
  }

  services(label: string, value?: string): Promise<SwarmService[]> {
    const matches = (labels: Record<string, string>) =>
      label in labels && (value === undefined || labels[label] === value);
    return Promise.resolve(
      [...this.serviceMap.values()].map(({ service }) => service).filter((service) => matches(service.labels)),
    );
  }

  tasks(serviceIds?: string[]): Promise<SwarmTask[]> {
    const unknown = serviceIds?.find((id) => !this.serviceMap.has(id));
    if (unknown) return Promise.reject(new EngineError(`The swarm manager refused: service ${unknown} not found.`));
    return Promise.resolve(this.taskList.filter((task) => !serviceIds || serviceIds.includes(task.serviceId)));
  }

  networks(): Promise<ObservedNetwork[]> {
    return Promise.resolve([...this.networkMap.values()]);
  }

  createNetwork(body: Record<string, unknown>): Promise<boolean> {
    const name = String(body.Name);
    this.calls.push(`create network ${name}`);
    if (this.networkMap.has(name)) return Promise.resolve(false);
    const labels = (body.Labels ?? {}) as Record<string, string>;
    this.networkMap.set(name, { id: this.nextId(), name, labels, subnets: [] });
    return Promise.resolve(true);
  }

  createService(spec: Record<string, unknown>): Promise<string> {
    const name = String(spec.Name);
    this.calls.push(`create service ${name}`);
    if ([...this.serviceMap.values()].some(({ service }) => service.name === name))
      return Promise.reject(new EngineError(`The swarm manager refused: name conflicts with an existing object.`));
    const id = this.nextId();
    this.serviceMap.set(id, { service: this.serviceOf(id, spec), spec });
    this.schedule(id, spec);
    return Promise.resolve(id);
  }

  updateService(id: string, version: number, spec: Record<string, unknown>): Promise<void> {
    if (!/^(force update|scale) /.test(this.calls.at(-1) ?? '')) this.calls.push(`update service ${String(spec.Name)}`);
    const stored = this.serviceMap.get(id);
    if (!stored) return Promise.reject(new EngineError(`The swarm manager refused: service ${id} not found.`));
    if (stored.service.version !== version)
      return Promise.reject(new EngineError('The swarm manager refused: update out of sequence.'));
    this.serviceMap.set(id, { service: this.serviceOf(id, spec), spec });
    for (const task of this.taskList.filter((candidate) => candidate.serviceId === id)) {
      task.desiredState = 'shutdown';
      task.state = 'shutdown';
    }
    this.schedule(id, spec);
    return Promise.resolve();
  }

  removeService(id: string): Promise<void> {
    this.calls.push(`remove service ${this.serviceMap.get(id)?.service.name ?? id}`);
    if (!this.serviceMap.delete(id))
      return Promise.reject(new EngineError(`The swarm manager refused: service ${id} not found.`));
    for (let i = this.taskList.length - 1; i >= 0; i--)
      if (this.taskList[i]!.serviceId === id) this.taskList.splice(i, 1);
    return Promise.resolve();
  }

  scale(id: string, replicas: number): Promise<void> {
    const stored = this.serviceMap.get(id);
    if (!stored) return Promise.reject(new EngineError(`The swarm manager refused: service ${id} not found.`));
    this.calls.push(`scale ${stored.service.name} to ${replicas}`);
    return this.updateService(id, stored.service.version, {
      ...stored.spec,
      Mode: { Replicated: { Replicas: replicas } },
    });
  }

  forceUpdate(id: string): Promise<void> {
    const stored = this.serviceMap.get(id);
    if (!stored) return Promise.reject(new EngineError(`The swarm manager refused: service ${id} not found.`));
    this.calls.push(`force update ${stored.service.name}`);
    return this.updateService(id, stored.service.version, stored.spec);
  }

  /** What each service has printed, by service id: a test says it (say), the logs read it. */
  private readonly output = new Map<string, string[]>();

  say(serviceName: string, line: string): void {
    const stored = [...this.serviceMap.values()].find(({ service }) => service.name === serviceName)!;
    this.output.set(stored.service.id, [...(this.output.get(stored.service.id) ?? []), line]);
  }

  serviceLogs(
    id: string,
    options: LogOptions,
    onLine: (line: string, stream: 'stdout' | 'stderr') => void,
  ): Promise<LogStream> {
    if (!this.serviceMap.has(id))
      return Promise.reject(new EngineError(`The swarm manager refused: service ${id} not found.`));
    const lines = this.output.get(id) ?? [];
    for (const line of options.tail === undefined ? lines : lines.slice(-options.tail)) onLine(line, 'stdout');
    return Promise.resolve({ stop: () => undefined, done: Promise.resolve() });
  }

  removeNetwork(name: string): Promise<void> {
    this.calls.push(`remove network ${name}`);
    const user = [...this.serviceMap.values()].find(({ spec }) => networksOf(spec).includes(name));
    if (user)
      return Promise.reject(
        new EngineError(`The swarm manager refused: network ${name} is in use by service ${user.service.id}.`),
      );
    this.networkMap.delete(name);
    return Promise.resolve();
  }

  private serviceOf(id: string, spec: Spec): SwarmService {
    const ports = (spec.EndpointSpec?.Ports ?? []) as Array<Record<string, any>>;
    return {
      id,
      name: String(spec.Name),
      version: this.index++,
      labels: (spec.Labels ?? {}) as Record<string, string>,
      ports: ports.map((port) => ({
        protocol: String(port.Protocol ?? 'tcp'),
        targetPort: Number(port.TargetPort),
        publishedPort: Number(port.PublishedPort),
      })),
      replicas: replicasOf(spec),
    };
  }

  /** One task: on the first node that the constraints allow and that has the GPUs asked for free. */
  private schedule(serviceId: string, spec: Spec): void {
    if (replicasOf(spec) === 0) return;
    const constraints = (spec.TaskTemplate?.Placement?.Constraints ?? []) as string[];
    const resources = (spec.TaskTemplate?.Resources?.Reservations?.GenericResources ?? []) as Array<
      Record<string, any>
    >;
    const wanted = resources
      .filter((resource) => resource.DiscreteResourceSpec?.Kind === GPU_RESOURCE)
      .reduce((sum, resource) => sum + Number(resource.DiscreteResourceSpec.Value), 0);
    const allowed = this.nodeList.filter((node) => allows(constraints, node));
    const node = allowed.find((candidate) => this.freeGpus(candidate).length >= wanted);
    const base = { id: this.nextId(), serviceId, desiredState: 'running', containerId: undefined };
    if (!node) {
      const error = `no suitable node (insufficient resources on ${allowed.length} node)`;
      this.taskList.push({ ...base, nodeId: '', state: 'pending', error, gpus: [] });
      return;
    }
    const gpus = this.freeGpus(node).slice(0, wanted);
    if (wanted > 0 && this.lacksAttachment(node, spec)) {
      // Engine 20.10, seen by the contract on a real swarm: a GPU task is rejected for good on a node where no
      // task of its overlay runs yet.
      const error = 'node is missing network attachments, ip addresses may be exhausted';
      this.taskList.push({ ...base, nodeId: node.id, state: 'rejected', desiredState: 'shutdown', error, gpus });
      return;
    }
    this.taskList.push({
      ...base,
      nodeId: node.id,
      state: 'running',
      error: undefined,
      gpus,
      containerId: this.nextId(),
    });
  }

  private lacksAttachment(node: SwarmNode, spec: Spec): boolean {
    const networks = networksOf(spec);
    const attached = this.taskList
      .filter((task) => task.nodeId === node.id && task.state === 'running')
      .flatMap((task) => networksOf(this.serviceMap.get(task.serviceId)?.spec ?? {}));
    return networks.some((network) => !attached.includes(network));
  }

  private freeGpus(node: SwarmNode): string[] {
    const held = new Set(
      this.taskList.filter((task) => task.nodeId === node.id && task.desiredState === 'running').flatMap((t) => t.gpus),
    );
    return node.gpus.filter((gpu) => !held.has(gpu));
  }

  private nextId(): string {
    return `id${this.index++}`;
  }
}

function replicasOf(spec: Spec): number | undefined {
  if (spec.Mode?.Global) return undefined;
  return Number(spec.Mode?.Replicated?.Replicas ?? 1);
}

function networksOf(spec: Spec): string[] {
  return ((spec.TaskTemplate?.Networks ?? []) as Array<{ Target: string }>).map((network) => network.Target);
}
