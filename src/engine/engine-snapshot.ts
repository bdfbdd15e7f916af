import { engineGet } from './engine-socket.js';
import { COMPOSE_LABEL, ENVCTL_CONFIG_HASH, LABEL } from '../model/labels.js';

/**
 * What the plan stage reads from the engine, reduced to comparable lines: the workspace's containers (id,
 * state, image, config hash, networks), its networks and volumes, and the id each image reference names
 * now. Two equal snapshots give the plan the same engine to compare with.
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

interface RawContainer {
  Id: string;
  State: string;
  ImageID: string;
  Labels?: Record<string, string> | null;
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
}
interface RawNetwork {
  Id: string;
  Name: string;
  Labels?: Record<string, string> | null;
  IPAM?: { Config?: Array<{ Subnet?: string }> | null } | null;
}

interface RawVolumes {
  Volumes?: Array<{ Name: string }> | null;
}
interface RawImage {
  Id: string;
}

/** Reads the snapshot of the workspace at `root`, and the engine's subnets, with four GETs at once. */
export async function readEngine(
  socketPath: string,
  root: string,
  imageReferences: readonly string[],
): Promise<EngineReading> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`${LABEL.root}=${root}`] }));
  const [containers, networks, volumes, images] = await Promise.all([
    engineGet(socketPath, `/containers/json?all=1&filters=${filters}`),
    engineGet(socketPath, '/networks') as Promise<RawNetwork[]>,
    engineGet(socketPath, `/volumes?filters=${filters}`),
    Promise.all(
      [...new Set(imageReferences)].map(
        async (reference) =>
          [reference, await engineGet(socketPath, `/images/${encodeURIComponent(reference)}/json`)] as const,
      ),
    ),
  ]);
  const own = networks.filter((network) => network.Labels?.[LABEL.root] === root);
  const subnets = networks
    .flatMap((network) => (network.IPAM?.Config ?? []).map((config) => config.Subnet ?? ''))
    .filter((subnet) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(subnet));
  return {
    snapshot: snapshotOf(
      containers as RawContainer[],
      own,
      volumes as RawVolumes,
      new Map(images as Array<readonly [string, RawImage | undefined]>),
    ),
    subnets,
  };
}

/** Pure: the Engine API's answers → the snapshot's sorted lines. */
export function snapshotOf(
  containers: readonly RawContainer[],
  networks: readonly RawNetwork[],
  volumes: RawVolumes,
  images: ReadonlyMap<string, RawImage | undefined>,
): EngineSnapshot {
  return {
    containers: containers
      .map((c) => {
        const attached = Object.keys(c.NetworkSettings?.Networks ?? {})
          .sort()
          .join(',');
        return [c.Id, c.State, c.ImageID, c.Labels?.[COMPOSE_LABEL.configHash] ?? '-', attached].join(' ');
      })
      .sort(),
    networks: networks.map((n) => `${n.Name} ${n.Id} ${n.Labels?.[ENVCTL_CONFIG_HASH] ?? '-'}`).sort(),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
    images: [...images].map(([reference, image]) => `${reference} ${image?.Id ?? '(absent)'}`).sort(),
  };
}

/** Every container of the snapshot is running: only then can a later up find nothing to do. */
export function allRunning(snapshot: EngineSnapshot): boolean {
  return snapshot.containers.every((line) => line.split(' ')[1] === 'running');
}
