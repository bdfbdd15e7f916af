import type Docker from 'dockerode';
import { COMPOSE_LABEL, ENVCTL_BUILD_HASH, ENVCTL_CONFIG_HASH, LABEL } from '../model/labels.js';
import { engineGet } from './engine-socket.js';
import {
  buildFrom,
  containerFrom,
  imageFrom,
  labelFilter,
  networkFrom,
  observe,
  volumeFrom,
  type EngineReads,
  type Observed,
  type ObservedBuild,
  type ObservedContainer,
  type ObservedImage,
  type ObservedNetwork,
  type ObservedVolume,
} from './observed.js';

/**
 * What the last whole `up` observed, reduced to comparable lines: the workspace's containers (id, state,
 * image, config hash, networks), its networks and volumes, and the id each image reference names now. Two
 * equal snapshots give the plan the same engine to compare with.
 */
export interface EngineSnapshot {
  containers: string[];
  networks: string[];
  volumes: string[];
  images: string[];
}

export interface EngineReading {
  snapshot: EngineSnapshot;
  /** The IPv4 subnets of every network of the engine, the workspace's and others'. */
  subnets: string[];
}

/**
 * The adapter's light reader for the no-op `up -d`: the same Engine API reads as dockerode's (DockerEngine),
 * over a bare socket, which answers before dockerode could even be loaded; the same conversions.
 */
export class SocketReads implements EngineReads {
  constructor(private readonly socketPath: string) {}

  async containers(label: string, value?: string): Promise<ObservedContainer[]> {
    const raw = await this.get<Docker.ContainerInfo[]>(`/containers/json?all=1&filters=${filters(label, value)}`);
    return (raw ?? []).map(containerFrom);
  }

  async networks(): Promise<ObservedNetwork[]> {
    return ((await this.get<Docker.NetworkInspectInfo[]>('/networks')) ?? []).map(networkFrom);
  }

  async volumes(label: string, value?: string): Promise<ObservedVolume[]> {
    const raw = await this.get<{ Volumes?: Docker.VolumeInspectInfo[] | null }>(
      `/volumes?filters=${filters(label, value)}`,
    );
    return (raw?.Volumes ?? []).map(volumeFrom);
  }

  async image(reference: string): Promise<ObservedImage | undefined> {
    const raw = await this.get<Docker.ImageInspectInfo>(`/images/${encodeURIComponent(reference)}/json`);
    return raw && imageFrom(raw);
  }

  async builds(): Promise<ObservedBuild[]> {
    const raw = await this.get<Docker.ImageInfo[]>(`/images/json?filters=${filters(ENVCTL_BUILD_HASH)}`);
    return (raw ?? []).map(buildFrom);
  }

  private async get<T>(path: string): Promise<T | undefined> {
    return (await engineGet(this.socketPath, path)) as T | undefined;
  }
}

function filters(label: string, value?: string): string {
  return encodeURIComponent(JSON.stringify(labelFilter(label, value)));
}

/** Observes the workspace at `root` through the socket: its snapshot, and the engine's subnets. */
export async function readEngine(
  socketPath: string,
  root: string,
  imageReferences: readonly string[],
): Promise<EngineReading> {
  const observed = await observe(new SocketReads(socketPath), root, imageReferences, { builds: false });
  const subnets = observed.networks
    .flatMap((network) => network.subnets)
    .filter((subnet) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(subnet));
  return { snapshot: snapshotOf(observed, root, imageReferences), subnets };
}

/** Pure: what was observed → the snapshot's sorted lines (only the workspace's own networks). */
export function snapshotOf(observed: Observed, root: string, imageReferences: readonly string[]): EngineSnapshot {
  return {
    containers: observed.containers
      .map((c) =>
        [c.id, c.state, c.imageId, c.labels[COMPOSE_LABEL.configHash] ?? '-', [...c.networks].sort().join(',')].join(
          ' ',
        ),
      )
      .sort(),
    networks: observed.networks
      .filter((n) => n.labels[LABEL.root] === root)
      .map((n) => `${n.name} ${n.id} ${n.labels[ENVCTL_CONFIG_HASH] ?? '-'}`)
      .sort(),
    volumes: observed.volumes.map((v) => v.name).sort(),
    images: [...new Set(imageReferences)]
      .map((reference) => `${reference} ${observed.images.get(reference)?.id ?? '(absent)'}`)
      .sort(),
  };
}

/** Every container of the snapshot is running: only then can a later up find nothing to do. */
export function allRunning(snapshot: EngineSnapshot): boolean {
  return snapshot.containers.every((line) => line.split(' ')[1] === 'running');
}
