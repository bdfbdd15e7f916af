import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { EngineError } from '../errors/envctl-error.js';
import type {
  BuildOptions,
  ContainerCreateBody,
  ExecCommand,
  ExecIo,
  ContainerInspect,
  DiskUsage,
  Engine,
  LogOptions,
  LogStream,
  NetworkCreateBody,
  BuildProgress,
  PullProgress,
  VolumeCreateBody,
} from './engine.js';
import { buildImage } from './engine-build.js';
import { execIn } from './engine-exec.js';
import { removeOnceEndpointsGo } from './network-removal.js';
import { dial, firstLine, followEvents, logLines, logQuery, pullEventOf, type PullMessage } from './engine-streams.js';
import { localGpuRuntime, serverGpuRuntime, type DaemonHost } from './engine-gpu-runtime.js';
import {
  BuildKitUnavailableError,
  engineUnreachable,
  ImageMissingError,
  PushRefusedError,
  START_ENGINE,
} from './engine-errors.js';
import { networkCreateFailure, pullFailureOf, pushFailureOf, startFailure } from './engine-messages.js';
import type { GpuSupport, PublishedPort, RunningContainer } from './engine-view.js';
import { ENVCTL_BUILD_HASH, GPU_LABEL } from '../model/labels.js';
import {
  buildFrom,
  containerFrom,
  imageFrom,
  labelFilter,
  networkFrom,
  volumeFrom,
  type ObservedBuild,
  type ObservedContainer,
  type ObservedImage,
  type ObservedNetwork,
  type ObservedVolume,
} from './observed.js';

export class DockerEngine implements Engine {
  /** `daemonHost`: where the engine's process can be looked at (its socket here, or its server over SSH). */
  constructor(
    readonly docker: Docker,
    readonly address = 'unix:///var/run/docker.sock',
    private readonly daemonHost: DaemonHost | undefined = { socket: '/var/run/docker.sock' },
  ) {}

  /** The engine's version and API version, for doctor. */
  async version(): Promise<{ version: string; apiVersion: string }> {
    const version = await this.call(() => this.docker.version());
    return { version: version.Version, apiVersion: version.ApiVersion };
  }

  async answers(): Promise<boolean> {
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000).unref());
    return Promise.race([
      this.docker.ping().then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  }

  async containers(label: string, value?: string): Promise<ObservedContainer[]> {
    const list = await this.call(() => this.docker.listContainers({ all: true, filters: labelFilter(label, value) }));
    return list.map(containerFrom);
  }

  async networks(): Promise<ObservedNetwork[]> {
    return (await this.call(() => this.docker.listNetworks())).map(networkFrom);
  }

  async networkContainers(name: string): Promise<string[]> {
    const info = await this.call(() => this.docker.getNetwork(name).inspect());
    return Object.keys((info as { Containers?: Record<string, unknown> }).Containers ?? {});
  }

  async volumes(label: string, value?: string): Promise<ObservedVolume[]> {
    const list = await this.call(() => this.docker.listVolumes({ filters: labelFilter(label, value) }));
    return (list.Volumes ?? []).map(volumeFrom);
  }

  async builds(): Promise<ObservedBuild[]> {
    const list = await this.call(() => this.docker.listImages({ filters: labelFilter(ENVCTL_BUILD_HASH) }));
    return list.map(buildFrom);
  }

  async diskUsage(): Promise<DiskUsage> {
    const usage = (await this.call(() => this.docker.df())) as SystemDf;
    const records = usage.BuildCache ?? [];
    const sum = (list: typeof records) => list.reduce((total, record) => total + (record.Size ?? 0), 0);
    const mounts = records.filter((record) => record.Type === 'exec.cachemount');
    return { layers: usage.LayersSize ?? 0, buildCache: sum(records), cacheMounts: sum(mounts) };
  }

  async pruneBuildCache(): Promise<number> {
    // all: what no build uses now, not only what nothing refers to (docker builder prune -a). Not dockerode's
    // pruneBuilder, which sends no query.
    const prune = { path: '/build/prune?', method: 'POST', options: { all: true }, statusCodes: { 200: true } };
    const answer = await this.call(() => dial<{ SpaceReclaimed?: number }>(this.docker, prune));
    return answer.SpaceReclaimed ?? 0;
  }

  async removeImage(id: string): Promise<void> {
    // force: an image with several names goes with all of them; a container's image is still refused.
    await this.ignoreMissing(() => this.docker.getImage(id).remove({ force: true, noprune: false }));
  }

  async tagImage(id: string, reference: string): Promise<void> {
    const colon = reference.lastIndexOf(':');
    const tagged = colon > reference.lastIndexOf('/');
    const [repo, tag] = tagged ? [reference.slice(0, colon), reference.slice(colon + 1)] : [reference, 'latest'];
    await this.call(() => this.docker.getImage(id).tag({ repo, tag }));
  }

  async pushImage(reference: string): Promise<string> {
    const colon = reference.lastIndexOf(':');
    const [repo, tag] = [reference.slice(0, colon), reference.slice(colon + 1)];
    // The Engine wants X-Registry-Auth on a push even when the registry takes anyone: an empty one is anonymous.
    const push = () => this.docker.getImage(repo).push({ tag, authconfig: {} }) as unknown as Promise<Readable>;
    const stream = await this.call(push);
    let digest: string | undefined;
    try {
      await followEvents(this.docker, stream, (event: { aux?: { Digest?: string } }) => {
        digest = event.aux?.Digest ?? digest;
      });
    } catch (error) {
      throw new PushRefusedError(reference, error, pushFailureOf(error));
    }
    if (!digest) throw new PushRefusedError(reference, new Error('the registry named no digest'), 'other');
    return digest;
  }

  async saveImages(names: readonly string[], out: NodeJS.WritableStream): Promise<void> {
    // dockerode has GET /images/get (docker save of several images); its types do not.
    const docker = this.docker as unknown as { getImages(options: { names: string[] }): Promise<Readable> };
    const stream = await this.call(() => docker.getImages({ names: [...names] }));
    await pipeline(stream, out);
  }

  async loadImages(input: NodeJS.ReadableStream): Promise<void> {
    const answer = (await this.call(() => this.docker.loadImage(input))) as unknown as Readable;
    // The engine answers with a progress stream; it must be read to the end, and says there what failed.
    await followEvents(this.docker, answer, () => undefined);
  }

  async image(reference: string): Promise<ObservedImage | undefined> {
    try {
      return imageFrom(await this.docker.getImage(reference).inspect());
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw this.wrap(error);
    }
  }

  async pullImage(reference: string, progress: PullProgress): Promise<void> {
    try {
      const stream = (await this.docker.pull(reference)) as Readable;
      await followEvents(this.docker, stream, (event: PullMessage) => {
        if (event.status) progress(pullEventOf(event));
      });
    } catch (cause) {
      const message = firstLine(cause);
      throw new ImageMissingError(reference, new Error(message, { cause }), pullFailureOf(message));
    }
  }

  async buildImage(options: BuildOptions, progress: BuildProgress): Promise<void> {
    if (options.builder === 'buildkit') {
      const refusal = await this.buildKitRefusal();
      if (refusal) throw new BuildKitUnavailableError(this.address, refusal);
    }
    await buildImage(this.docker, this.address, options, progress);
  }

  private buildKitChecked: Promise<string | undefined> | undefined;

  /** Why this engine cannot build with BuildKit, or undefined: it came with API 1.39 (18.09), on Linux only. */
  private buildKitRefusal(): Promise<string | undefined> {
    this.buildKitChecked ??= this.call(() => this.docker.version()).then((version) => {
      if (version.Os && version.Os !== 'linux')
        return `BuildKit builds Linux images only; this engine runs ${version.Os}`;
      const [major = 0, minor = 0] = version.ApiVersion.split('.').map(Number);
      return major === 1 && minor < 39 ? `its API ${version.ApiVersion} predates BuildKit (1.39)` : undefined;
    });
    return this.buildKitChecked;
  }

  async createNetwork(body: NetworkCreateBody): Promise<void> {
    try {
      await this.docker.createNetwork(body);
    } catch (error) {
      throw this.wrap(networkCreateFailure(error, body.IPAM?.Config?.[0]?.Subnet));
    }
  }

  async removeNetwork(name: string, retryDelaysMs: readonly number[]): Promise<void> {
    await removeOnceEndpointsGo(
      name,
      () => this.ignoreMissing(() => this.docker.getNetwork(name).remove()),
      async () => (await this.networkContainers(name)).length,
      retryDelaysMs,
    );
  }

  async createVolume(body: VolumeCreateBody): Promise<void> {
    await this.call(() => this.docker.createVolume(body));
  }

  async removeVolume(name: string): Promise<void> {
    await this.ignoreMissing(() => this.docker.getVolume(name).remove());
  }

  async createContainer(name: string, body: ContainerCreateBody): Promise<string> {
    const container = await this.call(() => this.docker.createContainer({ ...body, name }));
    return container.id;
  }

  async connectNetwork(network: string, containerId: string, aliases: string[]): Promise<void> {
    await this.call(() =>
      this.docker.getNetwork(network).connect({ Container: containerId, EndpointConfig: { Aliases: aliases } }),
    );
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 304) return;
      throw this.wrap(startFailure(error));
    }
  }

  async stopContainer(id: string, timeoutSeconds = 10): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: timeoutSeconds });
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 304 || status === 404) return;
      throw this.wrap(error);
    }
  }

  async killContainer(id: string): Promise<void> {
    await this.ignoreMissing(() => this.docker.getContainer(id).kill({})).catch(() => undefined);
  }

  async restartContainer(id: string): Promise<void> {
    await this.call(() => this.docker.getContainer(id).restart());
  }

  async removeContainer(id: string): Promise<void> {
    await this.ignoreMissing(() => this.docker.getContainer(id).remove({ force: true, v: false }));
  }

  async inspectContainer(id: string): Promise<ContainerInspect> {
    return this.call(() => this.docker.getContainer(id).inspect());
  }

  async exec(containerId: string, command: ExecCommand, io: ExecIo): Promise<number> {
    return execIn(this.docker.getContainer(containerId), this.docker, command, io, (work) => this.call(work));
  }

  async logs(
    id: string,
    options: LogOptions,
    onLine: (line: string, stream: 'stdout' | 'stderr') => void,
  ): Promise<LogStream> {
    const container = this.docker.getContainer(id);
    const info = await this.inspectContainer(id);
    const raw = await this.call(
      () => container.logs(logQuery(options) as never) as unknown as Promise<Readable | Buffer>,
    );
    return logLines(this.docker, raw, info.Config?.Tty === true, onLine);
  }

  /**
   * Host ports held by any container, running or not: a stopped container keeps its port bindings and
   * needs them again when it is started (docker create -p, or a stopped Compose service).
   */
  async publishedPorts(): Promise<PublishedPort[]> {
    const list = await this.call(() => this.docker.listContainers({ all: true }));
    const running = list.filter((c) => c.State === 'running');
    const published = running.flatMap((c) =>
      (c.Ports ?? [])
        .filter((p) => p.PublicPort)
        .map((p) => ({ port: p.PublicPort, protocol: p.Type, privatePort: p.PrivatePort, labels: c.Labels ?? {} })),
    );
    const stopped = await Promise.all(
      list.filter((c) => c.State !== 'running').map((c) => this.boundPorts(c.Id, c.Labels ?? {})),
    );
    return [...published, ...stopped.flat()];
  }

  /** The host ports a container that is not running asks for (HostConfig.PortBindings; "" is any port). */
  private async boundPorts(id: string, labels: Record<string, string>): Promise<PublishedPort[]> {
    const info = await this.docker
      .getContainer(id)
      .inspect()
      .catch(() => undefined);
    const bindings = (info?.HostConfig?.PortBindings ?? {}) as Record<string, Array<{ HostPort?: string }> | null>;
    return Object.entries(bindings).flatMap(([key, hosts]) => {
      const [privatePort, protocol = 'tcp'] = key.split('/');
      return (hosts ?? [])
        .filter((host) => Number(host.HostPort) > 0)
        .map((host) => ({ port: Number(host.HostPort), protocol, privatePort: Number(privatePort), labels }));
    });
  }

  async runningWithGpus(): Promise<RunningContainer[]> {
    const list = await this.call(() =>
      this.docker.listContainers({ all: false, filters: { label: [GPU_LABEL.gpus] } }),
    );
    return list.map((container) => ({ labels: container.Labels ?? {} }));
  }

  /**
   * dockerd honours NVIDIA device requests when the nvidia runtime is configured, or when it found
   * nvidia-container-runtime-hook on its PATH at start (the NVIDIA Container Toolkit's hook).
   */
  async gpuSupport(): Promise<GpuSupport> {
    const info = (await this.call(() => this.docker.info())) as { Runtimes?: Record<string, unknown> };
    if (info.Runtimes && 'nvidia' in info.Runtimes) return { supported: 'yes' };
    if (this.daemonHost && 'ssh' in this.daemonHost) return serverGpuRuntime(this.daemonHost.ssh);
    return this.daemonHost === undefined ? { supported: 'unknown' } : localGpuRuntime(this.daemonHost.socket);
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.wrap(error);
    }
  }

  private async ignoreMissing(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return;
      throw this.wrap(error);
    }
  }

  private wrap(error: unknown): Error {
    if (error instanceof EngineError) return error;
    const code = (error as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES')
      return engineUnreachable(this.address, error, START_ENGINE);
    return new EngineError(`The Docker Engine refused: ${firstLine(error)}`, { cause: error });
  }
}

/** GET /system/df, the parts envctl reads. */
interface SystemDf {
  LayersSize?: number;
  BuildCache?: Array<{ Type?: string; Size?: number }> | null;
}
