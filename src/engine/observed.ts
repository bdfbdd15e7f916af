import type Docker from 'dockerode';
import { ENVCTL_BUILD_HASH, LABEL } from '../model/labels.js';

/**
 * What the engine holds, in the one shape every reader uses: `up` (through dockerode) and the no-op `up -d`'s
 * stamp (through a bare socket, engine-socket.ts) read the same endpoints and turn the same answers into these
 * types with the same functions, so the two cannot drift.
 */
export interface ObservedContainer {
  id: string;
  name: string;
  state: string;
  status: string;
  image: string;
  /** The id of the image it was created from, to tell when a rebuilt image needs a new container. */
  imageId: string;
  labels: Record<string, string>;
  /** Engine names of the networks it is attached to. */
  networks: string[];
  ports: Array<{ hostIp: string; hostPort: number; containerPort: number; protocol: string }>;
}

export interface ObservedNetwork {
  id: string;
  name: string;
  labels: Record<string, string>;
  subnets: string[];
}

export interface ObservedVolume {
  name: string;
  labels: Record<string, string>;
}

export interface ObservedImage {
  id: string;
  labels: Record<string, string>;
  /** repository@digest for each registry it was pushed to or pulled from (none when there is none). */
  repoDigests?: string[];
}

/** An image envctl built: its build-hash label says what it was built from, whatever it is called now. */
export interface ObservedBuild {
  id: string;
  hash: string;
  labels: Record<string, string>;
  /** Its names now; none for a build another one replaced (dangling). */
  tags: string[];
}

export interface Observed {
  /** The workspace's containers, found by its label. */
  containers: ObservedContainer[];
  /** Every network of the engine: the workspace's and other people's. */
  networks: ObservedNetwork[];
  /** The workspace's volumes. */
  volumes: ObservedVolume[];
  /** The images the desired services name, by reference, where the engine has them. */
  images: ReadonlyMap<string, ObservedImage>;
  /** Every image envctl built, by its build hash: an identical build is tagged, not built again. */
  builds: readonly ObservedBuild[];
}

/** The reads observation needs; the dockerode adapter and the bare-socket reader both provide them. */
export interface EngineReads {
  containers(label: string, value?: string): Promise<ObservedContainer[]>;
  networks(): Promise<ObservedNetwork[]>;
  volumes(label: string, value?: string): Promise<ObservedVolume[]>;
  /** The image's id and labels, or undefined when the engine does not have it. */
  image(reference: string): Promise<ObservedImage | undefined>;
  /** Every image with envctl's build-hash label. */
  builds(): Promise<ObservedBuild[]>;
}

/** The observe stage: the workspace's containers and volumes, every network, and the images it names. */
export async function observe(
  engine: EngineReads,
  root: string,
  imageReferences: readonly string[],
  options: { builds?: boolean } = {},
): Promise<Observed> {
  const references = [...new Set(imageReferences)];
  const [containers, networks, volumes, images, builds] = await Promise.all([
    engine.containers(LABEL.root, root),
    engine.networks(),
    engine.volumes(LABEL.root, root),
    Promise.all(references.map(async (reference) => [reference, await engine.image(reference)] as const)),
    // Only a plan that may build needs them; the no-op up's stamp does not.
    options.builds === false ? [] : engine.builds(),
  ]);
  const present = images.filter((entry): entry is readonly [string, ObservedImage] => entry[1] !== undefined);
  return { containers, networks, volumes, images: new Map(present), builds };
}

/** The Engine API's filter for objects carrying a label (with a value, when given). */
export function labelFilter(label: string, value?: string): { label: string[] } {
  return { label: [value === undefined ? label : `${label}=${value}`] };
}

/** GET /containers/json: one entry → an observed container. */
export function containerFrom(raw: Docker.ContainerInfo): ObservedContainer {
  return {
    id: raw.Id,
    name: (raw.Names?.[0] ?? '').replace(/^\//, ''),
    state: raw.State,
    status: raw.Status,
    image: raw.Image,
    imageId: raw.ImageID,
    labels: raw.Labels ?? {},
    networks: Object.keys(raw.NetworkSettings?.Networks ?? {}),
    ports: (raw.Ports ?? [])
      .filter((port) => port.PublicPort)
      .map((port) => ({
        hostIp: port.IP ?? '',
        hostPort: port.PublicPort,
        containerPort: port.PrivatePort,
        protocol: port.Type,
      })),
  };
}

/** GET /networks: one entry → an observed network. */
export function networkFrom(raw: Docker.NetworkInspectInfo): ObservedNetwork {
  return {
    id: raw.Id,
    name: raw.Name,
    labels: raw.Labels ?? {},
    subnets: (raw.IPAM?.Config ?? []).map((config) => config.Subnet).filter((subnet): subnet is string => !!subnet),
  };
}

/** GET /volumes: one entry → an observed volume. */
export function volumeFrom(raw: Docker.VolumeInspectInfo): ObservedVolume {
  return { name: raw.Name, labels: raw.Labels ?? {} };
}

/** GET /images/json?filters={"label":["dev.envctl.build-hash"]}: one entry → an observed build. */
export function buildFrom(raw: Docker.ImageInfo): ObservedBuild {
  const labels = raw.Labels ?? {};
  const tags = (raw.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>');
  return { id: raw.Id, hash: labels[ENVCTL_BUILD_HASH] ?? '', labels, tags };
}

/** GET /images/{name}/json → an observed image. */
export function imageFrom(raw: Docker.ImageInspectInfo): ObservedImage {
  const digests = raw.RepoDigests ?? [];
  return { id: raw.Id, labels: raw.Config?.Labels ?? {}, ...(digests.length ? { repoDigests: digests } : {}) };
}
