import type {
  BuildOptions,
  BuildProgress,
  DiskUsage,
  ContainerCreateBody,
  ContainerInspect,
  Engine,
  ExecCommand,
  ExecIo,
  LogStream,
  NetworkCreateBody,
  VolumeCreateBody,
} from '../../src/engine/engine.js';
import {
  BuildKitUnavailableError,
  ImageMissingError,
  NetworkInUseError,
  NoGpuRuntimeError,
  PortTakenError,
  StaleEndpointError,
  SubnetTakenError,
} from '../../src/engine/engine-errors.js';
import type { GpuSupport, PublishedPort, RunningContainer } from '../../src/engine/engine-view.js';
import type {
  ObservedBuild,
  ObservedContainer,
  ObservedImage,
  ObservedNetwork,
  ObservedVolume,
} from '../../src/engine/observed.js';
import { EngineError } from '../../src/errors/envctl-error.js';
import { ENVCTL_BUILD_HASH, GPU_LABEL } from '../../src/model/labels.js';
import { overlaps, parseCidr } from '../../src/util/cidr.js';

interface MemoryContainer {
  id: string;
  name: string;
  body: ContainerCreateBody;
  state: 'created' | 'running' | 'exited';
  imageId: string;
  networks: Map<string, string[]>;
}

interface MemoryNetwork extends ObservedNetwork {
  body: NetworkCreateBody;
}

/** What a test can make the engine do that the engine does on its own only by chance. */
export interface Faults {
  /** Host ports someone outside binds between allocation and start: the next start that wants one fails. */
  portsTakenAtStart: Set<number>;
  /** Subnets another network takes between allocation and creation: the next creation with one fails. */
  subnetsTakenAtCreate: Set<string>;
  /** Networks dockerd keeps a stale endpoint on: their removal fails though no container uses them. */
  staleEndpoints: Set<string>;
  /** Operations that fail as the engine would refuse them, e.g. "remove <id>", "start <name>". */
  refuse: Set<string>;
}

/**
 * An engine in memory for unit tests of the code beside it: the Engine interface with the real engine's rules
 * where envctl depends on them (names unique, a subnet or host port held once, a network in use cannot go, a
 * stopped container keeps its port bindings, missing objects are removed without complaint) and its typed
 * errors. test/e2e/engine-contract.test.ts runs the same checks against it and the real engine, so it cannot lie.
 */
export class MemoryEngine implements Engine {
  readonly address = 'memory://';
  readonly calls: string[] = [];
  readonly faults: Faults = {
    portsTakenAtStart: new Set(),
    subnetsTakenAtCreate: new Set(),
    staleEndpoints: new Set(),
    refuse: new Set(),
  };
  gpuRuntime = true;
  running = true;
  /** Whether it builds with BuildKit; one that does not refuses `builder: 'buildkit'` as an old engine does. */
  buildKit = true;
  /** The options of each build, for assertions on what envctl asked. */
  readonly buildsAsked: BuildOptions[] = [];
  private readonly containerMap = new Map<string, MemoryContainer>();
  private readonly networkMap = new Map<string, MemoryNetwork>();
  private readonly volumeMap = new Map<string, ObservedVolume>();
  private readonly imageMap = new Map<string, ObservedImage>();
  /** Images loaded without a name (saved by id), until tagged. */
  private untagged: ObservedImage[] = [];
  private counter = 0;

  constructor(options: { images?: string[]; pullable?: string[] } = {}) {
    for (const reference of options.images ?? []) this.addImage(reference, {});
    this.pullable = new Set(options.pullable ?? []);
  }

  private readonly pullable: Set<string>;

  addImage(reference: string, labels: Record<string, string>): ObservedImage {
    const image = { id: `sha256:${this.nextId()}`, labels };
    this.imageMap.set(reference, image);
    return image;
  }

  /** The create body a container was made with, for assertions on what envctl asked. */
  bodyOf(name: string): ContainerCreateBody | undefined {
    return this.byName(name)?.body;
  }

  answers(): Promise<boolean> {
    return Promise.resolve(this.running);
  }

  async containers(label: string, value?: string): Promise<ObservedContainer[]> {
    this.record('list containers');
    return [...this.containerMap.values()]
      .filter((container) => hasLabel(container.body.Labels ?? {}, label, value))
      .map((container) => this.observed(container));
  }

  async networks(): Promise<ObservedNetwork[]> {
    this.record('list networks');
    return [...this.networkMap.values()].map(({ id, name, labels, subnets }) => ({ id, name, labels, subnets }));
  }

  async networkContainers(name: string): Promise<string[]> {
    return [...this.containerMap.values()].filter((c) => c.networks.has(name)).map((c) => c.id);
  }

  async volumes(label: string, value?: string): Promise<ObservedVolume[]> {
    return [...this.volumeMap.values()].filter((volume) => hasLabel(volume.labels, label, value));
  }

  async image(reference: string): Promise<ObservedImage | undefined> {
    return this.imageMap.get(reference);
  }

  async builds(): Promise<ObservedBuild[]> {
    const unique = new Map([...this.imageMap.values()].map((image) => [image.id, image]));
    return [...unique.values()]
      .filter((image) => image.labels[ENVCTL_BUILD_HASH] !== undefined)
      .map((image) => ({
        id: image.id,
        hash: image.labels[ENVCTL_BUILD_HASH]!,
        labels: image.labels,
        tags: [...this.imageMap].filter(([, named]) => named === image).map(([reference]) => reference),
      }));
  }

  /** The build cache's bytes, as a test sets them; pruned to nothing. */
  buildCache = { total: 0, cacheMounts: 0 };

  async diskUsage(): Promise<DiskUsage> {
    const layers = new Set([...this.imageMap.values()].map((image) => image.id)).size * 1000;
    return { layers, buildCache: this.buildCache.total, cacheMounts: this.buildCache.cacheMounts };
  }

  async pruneBuildCache(): Promise<number> {
    this.record('prune build cache');
    const freed = this.buildCache.total;
    this.buildCache = { total: 0, cacheMounts: 0 };
    return freed;
  }

  async removeImage(id: string): Promise<void> {
    this.record(`remove image ${id}`);
    if ([...this.containerMap.values()].some((container) => this.imageMap.get(container.body.Image ?? '')?.id === id))
      throw new EngineError(`conflict: unable to delete ${id} (cannot be forced) - image is being used by a container`);
    for (const [reference, image] of [...this.imageMap]) if (image.id === id) this.imageMap.delete(reference);
    this.untagged = this.untagged.filter((image) => image.id !== id);
  }

  async tagImage(id: string, reference: string): Promise<void> {
    this.record(`tag ${reference}`);
    const image = [...this.imageMap.values(), ...this.untagged].find((candidate) => candidate.id === id);
    if (!image) throw new EngineError(`No such image: ${id}`);
    this.imageMap.set(reference, image);
  }

  /** Writes the named images as JSON lines (this engine's own "docker save"). */
  /** What each registry holds, by reference, as pushImage left it: the digest of what was pushed. */
  readonly pushed = new Map<string, string>();

  async pushImage(reference: string): Promise<string> {
    this.record(`push ${reference}`);
    this.refuseIf(`push ${reference}`);
    const image = this.imageMap.get(reference);
    if (!image) throw new EngineError(`No such image: ${reference}`);
    const digest = `sha256:${image.id
      .replace(/^sha256:/, '')
      .padEnd(64, '0')
      .slice(0, 64)}`;
    this.pushed.set(reference, digest);
    return digest;
  }

  async saveImages(names: readonly string[], out: NodeJS.WritableStream): Promise<void> {
    const images = names.map((name) => {
      const image = this.imageMap.get(name) ?? [...this.imageMap.values()].find((candidate) => candidate.id === name);
      if (!image) throw new EngineError(`No such image: ${name}`);
      const tags = [...this.imageMap].filter(([, candidate]) => candidate === image).map(([reference]) => reference);
      return { ...image, tags: names.includes(image.id) ? [] : tags };
    });
    await new Promise<void>((resolve) => out.end(`${JSON.stringify(images)}\n`, () => resolve()));
  }

  async loadImages(input: NodeJS.ReadableStream): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of input) chunks.push(Buffer.from(chunk as Buffer));
    let images: Array<ObservedImage & { tags: string[] }>;
    try {
      images = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof images;
    } catch {
      throw new EngineError('The Docker Engine refused: unexpected EOF (not an image archive)');
    }
    for (const { tags, ...image } of images) {
      if (tags.length === 0) this.untagged.push(image);
      for (const tag of tags) this.imageMap.set(tag, image);
    }
  }

  async pullImage(reference: string): Promise<void> {
    this.record(`pull ${reference}`);
    if (!this.pullable.has(reference)) throw new ImageMissingError(reference, new Error('pull access denied'));
    this.addImage(reference, {});
  }

  async buildImage(options: BuildOptions, progress: BuildProgress): Promise<void> {
    this.buildsAsked.push(options);
    if (options.builder === 'buildkit' && !this.buildKit)
      throw new BuildKitUnavailableError(this.address, 'its API 1.38 predates BuildKit (1.39)');
    this.record(`build ${options.tag}`);
    progress({ text: `#1 [1/1] FROM busybox (${options.builder ?? 'classic'})`, step: '[1/1] FROM busybox' });
    this.refuseIf(`build ${options.tag}`);
    this.addImage(options.tag, options.labels);
  }

  async createNetwork(body: NetworkCreateBody): Promise<void> {
    this.record(`create network ${body.Name}`);
    if (this.networkMap.has(body.Name)) throw new EngineError(`network with name ${body.Name} already exists`);
    const subnets = (body.IPAM?.Config ?? []).map((config) => config.Subnet).filter((s): s is string => !!s);
    for (const subnet of subnets) {
      const held = [...this.networkMap.values()].some((n) =>
        n.subnets.some((other) => overlaps(parseCidr(other), parseCidr(subnet))),
      );
      if (held || this.faults.subnetsTakenAtCreate.delete(subnet))
        throw new SubnetTakenError(subnet, new Error('Pool overlaps with other one on this address space'));
    }
    this.networkMap.set(body.Name, { id: this.nextId(), name: body.Name, labels: body.Labels ?? {}, subnets, body });
  }

  async removeNetwork(name: string, _retryDelaysMs: readonly number[]): Promise<void> {
    this.record(`remove network ${name}`);
    this.refuseIf(`remove network ${name}`);
    if (!this.networkMap.has(name)) return;
    const users = (await this.networkContainers(name)).length;
    if (users > 0) throw new NetworkInUseError(name, users);
    if (this.faults.staleEndpoints.has(name)) throw new StaleEndpointError(name, new Error('has active endpoints'));
    this.networkMap.delete(name);
  }

  async createVolume(body: VolumeCreateBody): Promise<void> {
    this.record(`create volume ${body.Name}`);
    const name = body.Name ?? this.nextId();
    if (!this.volumeMap.has(name)) this.volumeMap.set(name, { name, labels: body.Labels ?? {} });
  }

  async removeVolume(name: string): Promise<void> {
    this.record(`remove volume ${name}`);
    this.refuseIf(`remove volume ${name}`);
    this.volumeMap.delete(name);
  }

  async createContainer(name: string, body: ContainerCreateBody): Promise<string> {
    this.record(`create ${name}`);
    this.refuseIf(`create ${name}`);
    if (this.byName(name)) throw new EngineError(`Conflict. The container name "/${name}" is already in use`);
    const image = this.imageMap.get(body.Image ?? '');
    if (!image) throw new EngineError(`No such image: ${body.Image}`);
    const networks = new Map<string, string[]>();
    for (const [network, endpoint] of Object.entries(body.NetworkingConfig?.EndpointsConfig ?? {})) {
      if (!this.networkMap.has(network)) throw new EngineError(`network ${network} not found`);
      networks.set(network, endpoint.Aliases ?? []);
    }
    const id = this.nextId();
    this.containerMap.set(id, { id, name, body, state: 'created', imageId: image.id, networks });
    return id;
  }

  async connectNetwork(network: string, containerId: string, aliases: string[]): Promise<void> {
    if (!this.networkMap.has(network)) throw new EngineError(`network ${network} not found`);
    this.mustGet(containerId).networks.set(network, aliases);
  }

  async startContainer(id: string): Promise<void> {
    const container = this.mustGet(id);
    this.record(`start ${container.name}`);
    this.refuseIf(`start ${container.name}`);
    if (container.state === 'running') return;
    const wantsGpu = (container.body.HostConfig?.DeviceRequests ?? []).some((request) => request.Driver === 'nvidia');
    if (wantsGpu && !this.gpuRuntime)
      throw new NoGpuRuntimeError(new Error('could not select device driver "nvidia" with capabilities: [[gpu]]'));
    for (const port of hostPorts(container.body)) {
      const holder = [...this.containerMap.values()].find(
        (other) => other !== container && other.state === 'running' && hostPorts(other.body).includes(port),
      );
      if (holder || this.faults.portsTakenAtStart.delete(port))
        throw new PortTakenError(port, new Error(`Bind for 0.0.0.0:${port} failed: port is already allocated`));
    }
    container.state = 'running';
  }

  async stopContainer(id: string): Promise<void> {
    const container = this.containerMap.get(id);
    this.record(`stop ${container?.name ?? id}`);
    if (container) this.refuseIf(`stop ${container.name}`);
    if (container?.state === 'running') container.state = 'exited';
  }

  async killContainer(id: string): Promise<void> {
    await this.stopContainer(id);
  }

  async restartContainer(id: string): Promise<void> {
    await this.stopContainer(id);
    await this.startContainer(id);
  }

  async removeContainer(id: string): Promise<void> {
    const container = this.containerMap.get(id);
    this.record(`remove ${container?.name ?? id}`);
    if (container) this.refuseIf(`remove ${container.name}`);
    this.containerMap.delete(id);
  }

  async inspectContainer(idOrName: string): Promise<ContainerInspect> {
    const container = this.containerMap.get(idOrName) ?? this.byName(idOrName);
    if (!container) throw new EngineError(`No such container: ${idOrName}`);
    const inspect = {
      Id: container.id,
      Name: `/${container.name}`,
      State: { Status: container.state, Running: container.state === 'running', ExitCode: 0 },
      Config: { Tty: container.body.Tty ?? false, Labels: container.body.Labels ?? {} },
      HostConfig: container.body.HostConfig ?? {},
    };
    return inspect as unknown as ContainerInspect;
  }

  /** What a command run in a container does here: the memory engine runs no programs. */
  execHandler:
    ((container: string, command: ExecCommand) => { stdout?: string; stderr?: string; status: number }) | undefined;

  async exec(containerId: string, command: ExecCommand, io: ExecIo): Promise<number> {
    const container = this.mustGet(containerId);
    this.record(`exec ${container.name} ${command.cmd.join(' ')}`);
    if (container.state !== 'running')
      throw new EngineError(`The Docker Engine refused: Container ${container.id} is not running`);
    if (!this.execHandler) throw new Error('MemoryEngine runs no commands: set execHandler in the test');
    const { stdout = '', stderr = '', status } = this.execHandler(container.name, command);
    io.stdout.write(stdout);
    io.stderr.write(stderr);
    return status;
  }

  async logs(): Promise<LogStream> {
    return { stop: () => undefined, done: Promise.resolve() };
  }

  /** Host ports held by any container, running or not, as the real engine's adapter reports them. */
  async publishedPorts(): Promise<PublishedPort[]> {
    return [...this.containerMap.values()].flatMap((container) =>
      Object.entries(container.body.HostConfig?.PortBindings ?? {}).flatMap(([key, hosts]) => {
        const [privatePort, protocol = 'tcp'] = key.split('/');
        return ((hosts ?? []) as Array<{ HostPort?: string }>)
          .filter((host) => Number(host.HostPort) > 0)
          .map((host) => ({
            port: Number(host.HostPort),
            protocol,
            privatePort: Number(privatePort),
            labels: container.body.Labels ?? {},
          }));
      }),
    );
  }

  async runningWithGpus(): Promise<RunningContainer[]> {
    return [...this.containerMap.values()]
      .filter((container) => container.state === 'running' && (container.body.Labels ?? {})[GPU_LABEL.gpus])
      .map((container) => ({ labels: container.body.Labels ?? {} }));
  }

  async gpuSupport(): Promise<GpuSupport> {
    return this.gpuRuntime ? { supported: 'yes' } : { supported: 'no', reason: 'no NVIDIA runtime (memory engine)' };
  }

  private observed(container: MemoryContainer): ObservedContainer {
    const bindings = Object.entries(container.body.HostConfig?.PortBindings ?? {});
    return {
      id: container.id,
      name: container.name,
      state: container.state,
      status: container.state === 'running' ? 'Up' : container.state === 'exited' ? 'Exited (0)' : 'Created',
      image: container.body.Image ?? '',
      imageId: container.imageId,
      labels: container.body.Labels ?? {},
      networks: [...container.networks.keys()],
      ports:
        container.state !== 'running'
          ? []
          : bindings.flatMap(([key, hosts]) =>
              ((hosts ?? []) as Array<{ HostIp?: string; HostPort?: string }>).map((host) => ({
                hostIp: host.HostIp || '0.0.0.0',
                hostPort: Number(host.HostPort),
                containerPort: Number(key.split('/')[0]),
                protocol: key.split('/')[1] ?? 'tcp',
              })),
            ),
    };
  }

  private byName(name: string): MemoryContainer | undefined {
    return [...this.containerMap.values()].find((container) => container.name === name);
  }

  private mustGet(id: string): MemoryContainer {
    const container = this.containerMap.get(id);
    if (!container) throw new EngineError(`No such container: ${id}`);
    return container;
  }

  private refuseIf(operation: string): void {
    if (this.faults.refuse.has(operation)) throw new EngineError(`The Docker Engine refused: ${operation}`);
  }

  private record(call: string): void {
    this.calls.push(call);
  }

  private nextId(): string {
    this.counter += 1;
    return this.counter.toString(16).padStart(12, '0');
  }
}

function hasLabel(labels: Record<string, string>, label: string, value: string | undefined): boolean {
  return value === undefined ? label in labels : labels[label] === value;
}

function hostPorts(body: ContainerCreateBody): number[] {
  const bindings = Object.values<Array<{ HostPort?: string }> | null>(body.HostConfig?.PortBindings ?? {});
  return bindings.flatMap((hosts) => (hosts ?? []).map((host) => Number(host.HostPort)).filter((port) => port > 0));
}
