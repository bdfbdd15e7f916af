import type Docker from 'dockerode';
import type { EngineView } from './engine-view.js';
import type { EngineReads } from './observed.js';

/** The Engine API's request and answer bodies, as dockerode types them: the adapter passes them through. */
export type ContainerCreateBody = Omit<Docker.ContainerCreateOptions, 'name' | 'abortSignal'>;
export type NetworkCreateBody = Omit<Docker.NetworkCreateOptions, 'abortSignal'>;
export type VolumeCreateBody = Omit<Docker.VolumeCreateOptions, 'abortSignal'>;
export type ContainerInspect = Docker.ContainerInspectInfo;

import type { BuildLine } from './buildkit-trace.js';

export type BuildProgress = (line: BuildLine) => void;

/** One event of a pull, as the engine reports it for a layer (or, without `layer`, for the whole image). */
export interface PullEvent {
  layer?: string;
  /** What happens to it: "Pulling fs layer", "Downloading", "Extracting", "Pull complete", "Already exists"... */
  status: string;
  current?: number;
  total?: number;
}
export type PullProgress = (event: PullEvent) => void;

/**
 * Everything envctl asks of the Docker Engine, as one small interface: the dockerode implementation sits
 * beside it (docker-engine.ts), and the plan and the CLI never see dockerode.
 */
export interface Engine extends EngineView, EngineReads {
  /** Where the engine was looked for, for messages: the socket or DOCKER_HOST. */
  readonly address: string;
  /** Whether the engine answers a ping now (within a couple of seconds); never throws. */
  answers(): Promise<boolean>;
  /** Ids of the containers attached to a network. */
  networkContainers(name: string): Promise<string[]>;
  pullImage(reference: string, progress: PullProgress): Promise<void>;
  /** Gives an image (by id) one more name. */
  tagImage(id: string, reference: string): Promise<void>;
  /** Pushes `repo:tag` to its registry (anonymously); resolves to the manifest's digest there. */
  pushImage(reference: string): Promise<string>;
  /** Writes images (ids or references) in `docker save`'s format. */
  saveImages(names: readonly string[], out: NodeJS.WritableStream): Promise<void>;
  /** Loads images written by saveImages (`docker load`). */
  loadImages(input: NodeJS.ReadableStream): Promise<void>;
  /** Builds with the builder asked for; BuildKitUnavailableError where the engine has no BuildKit. */
  buildImage(options: BuildOptions, progress: BuildProgress): Promise<void>;
  /** What the engine's disk holds in image layers and in BuildKit's build cache. */
  diskUsage(): Promise<DiskUsage>;
  /** Removes the build cache that no build uses now, cache mounts too; resolves to the bytes freed. */
  pruneBuildCache(): Promise<number>;
  /** Removes an image (by id) and its names; refused while a container uses it. */
  removeImage(id: string): Promise<void>;
  createNetwork(body: NetworkCreateBody): Promise<void>;
  /**
   * Removes a network; refused by dockerd for a moment after its last container went ("active endpoints"), so
   * tried again after each of `retryDelaysMs` (reconcile's policy), then StaleEndpointError.
   */
  removeNetwork(name: string, retryDelaysMs: readonly number[]): Promise<void>;
  createVolume(body: VolumeCreateBody): Promise<void>;
  removeVolume(name: string): Promise<void>;
  createContainer(name: string, body: ContainerCreateBody): Promise<string>;
  connectNetwork(network: string, containerId: string, aliases: string[]): Promise<void>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds?: number): Promise<void>;
  killContainer(id: string): Promise<void>;
  restartContainer(id: string): Promise<void>;
  removeContainer(id: string): Promise<void>;
  inspectContainer(id: string): Promise<ContainerInspect>;
  /** Runs a command in a running container, wired to `io`; resolves to the command's exit status. */
  exec(containerId: string, command: ExecCommand, io: ExecIo): Promise<number>;
  /** Streams a container's output line by line; `done` settles when the output ends (container stopped, or `stop`). */
  logs(
    id: string,
    options: LogOptions,
    onLine: (line: string, stream: 'stdout' | 'stderr') => void,
  ): Promise<LogStream>;
}

/** Bytes: image layers (shared ones once), and BuildKit's cache, of which its cache mounts (pip's downloads). */
export interface DiskUsage {
  layers: number;
  buildCache: number;
  cacheMounts: number;
}

export interface ExecCommand {
  cmd: string[];
  /** A pseudo-terminal: one stream, the terminal's size, keys as typed. */
  tty: boolean;
  /** Whether the command reads `io.stdin`. */
  interactive: boolean;
  user?: string;
}

export interface TerminalSize {
  rows: number;
  columns: number;
}

export interface ExecIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** The terminal's size now, and a way to hear of its changes (returns how to stop hearing). */
  size?: () => TerminalSize;
  onResize?: (listener: () => void) => () => void;
}

export interface LogOptions {
  follow: boolean;
  tail?: number;
  /** Unix seconds: only output from then on. */
  since?: number;
}

export interface LogStream {
  stop(): void;
  done: Promise<void>;
}

export interface BuildInputs {
  dockerfile: string;
  dockerfileText: string;
  /** Context-relative paths of the files the image takes from its context. */
  files: string[];
  /** Folders listed to find them: a file added there can change the image. */
  dirs: string[];
  /**
   * What of the context the build is sent: the paths the Dockerfile's COPY and ADD lines name (files or whole
   * folders) and the dependency files; undefined (the whole context, less .dockerignore) where a source is a
   * pattern, the context itself, or a variable only the build knows.
   */
  entries: string[] | undefined;
}

export interface BuildSpec {
  context: string;
  dockerfile: string | undefined;
  args: Record<string, string>;
  /** The build stage to stop at (a multi-stage Dockerfile's `FROM ... AS target`). */
  target?: string;
  /** Files the Dockerfile copies from the context; an empty one is supplied when the project has none. */
  dependencyFiles: string[];
  /** End the Dockerfile with envctl's user layer (user-layer.ts): a template's user service. */
  userLayer?: boolean;
  /** A template's Dockerfile: its cache mounts are this workspace's and template's own (cache-mounts.ts). */
  cacheScope?: string;
  /** Content hash of the build inputs, filled in at the edge (it reads files): build-hash.ts. */
  hash?: string;
  /** What that hash read, filled in with it: the Dockerfile, the context's files and the folders listed. */
  inputs?: BuildInputs;
}

export interface BuildOptions {
  context: string;
  dockerfile: string | undefined;
  /** What the build reads, when already known (read once, for the hash and the context alike). */
  inputs?: BuildInputs;
  tag: string;
  args: Record<string, string>;
  /** The stage of a multi-stage Dockerfile to build. */
  target?: string;
  labels: Record<string, string>;
  /** Files to supply empty when the context lacks them. */
  dependencyFiles: string[];
  userLayer?: boolean;
  cacheScope?: string;
  /** BuildKit (`version=2`: cache mounts, its own progress) or the classic builder; classic when unset. */
  builder?: 'buildkit' | 'classic';
  /** Build every step again, cache mounts empty. */
  noCache?: boolean;
}
