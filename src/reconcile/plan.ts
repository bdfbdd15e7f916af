import { InputError } from '../errors/envctl-error.js';
import type { Desired, DesiredNetwork, DesiredService, DesiredVolume } from './desired.js';
import { COMPOSE_LABEL, ENVCTL_BUILD_HASH, ENVCTL_CONFIG_HASH as NETWORK_HASH, LABEL } from '../model/labels.js';
import type { Observed, ObservedContainer, ObservedNetwork } from '../engine/observed.js';

export type ImageStep =
  | { kind: 'pull'; service: DesiredService; reason: string }
  /** noCache: every step built again and the cache mounts empty (up --no-cache). */
  | { kind: 'build'; service: DesiredService; reason: string; noCache?: true }
  /** An image built from the very same inputs is on the engine under another name (imported, renamed). */
  | { kind: 'tag'; service: DesiredService; imageId: string; reason: string };
export type ContainerStep =
  | { kind: 'create'; service: DesiredService; reason: string }
  | { kind: 'recreate'; service: DesiredService; container: ObservedContainer; reason: string }
  | { kind: 'start'; service: DesiredService; container: ObservedContainer; reason: string }
  | { kind: 'keep'; service: DesiredService; container: ObservedContainer };

export interface ProjectPlan {
  images: ImageStep[];
  /** In dependency order: each level starts only after the one before it. */
  levels: ContainerStep[][];
  /** When a step fails: the containers this run made for the project go, the other projects go on. */
  onFailure: 'remove-made';
}

/** A network whose settings changed: the workspace's containers on it go first, then it is made again. */
export interface NetworkRecreation {
  network: DesiredNetwork;
  users: ObservedContainer[];
}

/** A network no longer wanted; left in place while containers envctl did not make still use it. */
export interface NetworkRemoval {
  network: ObservedNetwork;
  /** Why it goes, where that is not plain from the command (down). */
  reason?: string;
  ifInUse: 'keep';
}

export interface Plan {
  removeContainers: Array<{ container: ObservedContainer; reason: string }>;
  recreateNetworks: NetworkRecreation[];
  createNetworks: DesiredNetwork[];
  removeNetworks: NetworkRemoval[];
  createVolumes: DesiredVolume[];
  projects: Map<string, ProjectPlan>;
}

export interface PlanOptions {
  /** Only these projects are touched; all listed ones when absent. */
  only?: ReadonlySet<string>;
  /** Build every image that has a build section, even when it exists. */
  build?: boolean;
  /** Build them all without the build cache and with empty cache mounts (implies build). */
  noCache?: boolean;
}

/**
 * The plan stage: desired state and what the engine holds now → what to do, with a reason each.
 * Pure: the engine's state comes in as data, so a second `up` with nothing changed plans nothing.
 */
export function plan(desired: Desired, observed: Observed, options: PlanOptions = {}): Plan {
  const inScope = (project: string | undefined) =>
    !options.only || (project !== undefined && options.only.has(project));
  const wanted = new Map(desired.services.map((service) => [service.service, service]));
  const removeContainers: Plan['removeContainers'] = [];
  const byService = new Map<string, ObservedContainer>();
  for (const container of observed.containers) {
    const service = container.labels[COMPOSE_LABEL.service] ?? '';
    const project = container.labels[LABEL.project];
    if (!wanted.has(service)) {
      if (inScope(project))
        removeContainers.push({
          container,
          reason:
            project && !desired.services.some((s) => s.project === project)
              ? `project ${project} is no longer in which-project`
              : `service ${service} is no longer in project ${project}`,
        });
    } else if (byService.has(service)) {
      removeContainers.push({ container, reason: 'a second container of the same service' });
    } else {
      byService.set(service, container);
    }
  }

  const observedNetworks = new Map(observed.networks.map((network) => [network.name, network]));
  const createNetworks: DesiredNetwork[] = [];
  const recreateNetworks: NetworkRecreation[] = [];
  for (const network of desired.networks) {
    if (!inScope(network.project) && network.project !== undefined) continue;
    const existing = observedNetworks.get(network.name);
    if (existing && existing.labels[LABEL.root] !== desired.root) throw networkOfAnother(existing, desired);
    if (!existing) createNetworks.push(network);
    else if (existing.labels[NETWORK_HASH] !== network.hash) {
      const users = observed.containers.filter((container) => container.networks.includes(network.name));
      recreateNetworks.push({ network, users });
    }
  }
  const desiredNetworkNames = new Set(desired.networks.map((network) => network.name));
  const removeNetworks = observed.networks
    .filter((network) => network.labels[LABEL.root] === desired.root)
    .filter((network) => !desiredNetworkNames.has(network.name) && inScope(network.labels[LABEL.project]))
    .map((network): NetworkRemoval => ({ network, reason: 'no longer needed', ifInUse: 'keep' }));

  const observedVolumes = new Set(observed.volumes.map((volume) => volume.name));
  const createVolumes = desired.volumes.filter(
    (volume) => !volume.external && !observedVolumes.has(volume.name) && inScope(volume.project),
  );

  const changedNetworks = new Set(recreateNetworks.map(({ network }) => network.name));
  const projects = new Map<string, ProjectPlan>();
  for (const service of desired.services) {
    if (!inScope(service.project)) continue;
    const projectPlan = projects.get(service.project) ?? { images: [], levels: [], onFailure: 'remove-made' };
    projects.set(service.project, projectPlan);
    const image = imageStep(service, observed, options);
    if (image) projectPlan.images.push(image);
  }
  for (const [project, projectPlan] of projects) {
    const services = desired.services.filter((service) => service.project === project);
    const rebuilt = new Set(projectPlan.images.map((step) => step.service.service));
    projectPlan.levels = dependencyLevels(services).map((level) =>
      level.map((service) =>
        containerStep(
          service,
          byService.get(service.service),
          rebuilt.has(service.service),
          observed.images.get(service.image)?.id,
          changedNetworks,
        ),
      ),
    );
  }
  return { removeContainers, recreateNetworks, createNetworks, removeNetworks, createVolumes, projects };
}

/**
 * Only the images of `desired` (builds, and the tags of the same builds), for an engine that builds for others
 * to run: a swarm's manager builds what its nodes then get. Pulls are the nodes' own.
 */
export function imagePlan(desired: Desired, observed: Observed, options: PlanOptions = {}): Plan {
  const projects = new Map<string, ProjectPlan>();
  for (const service of desired.services) {
    if (options.only && !options.only.has(service.project)) continue;
    const image = imageStep(service, observed, options);
    if (!image || image.kind === 'pull') continue;
    const projectPlan = projects.get(service.project) ?? { images: [], levels: [], onFailure: 'remove-made' };
    projectPlan.images.push(image);
    projects.set(service.project, projectPlan);
  }
  return {
    removeContainers: [],
    recreateNetworks: [],
    createNetworks: [],
    removeNetworks: [],
    createVolumes: [],
    projects,
  };
}

function imageStep(service: DesiredService, observed: Observed, options: PlanOptions): ImageStep | undefined {
  if (service.build && options.noCache)
    return { kind: 'build', service, reason: 'build asked for, without cache', noCache: true };
  const forceBuild = options.build ?? false;
  const present = observed.images.get(service.image);
  if (service.build) {
    const hash = service.build.hash;
    const stale =
      present === undefined
        ? 'image not built yet'
        : hash !== undefined && present.labels[ENVCTL_BUILD_HASH] !== hash
          ? 'its build inputs changed'
          : undefined;
    if (!stale) return forceBuild ? { kind: 'build', service, reason: 'build asked for' } : undefined;
    const same = forceBuild || hash === undefined ? undefined : observed.builds.find((build) => build.hash === hash);
    if (same) return { kind: 'tag', service, imageId: same.id, reason: 'the same build is on the engine' };
    return { kind: 'build', service, reason: stale };
  }
  return present ? undefined : { kind: 'pull', service, reason: 'image not on the engine' };
}

function containerStep(
  service: DesiredService,
  container: ObservedContainer | undefined,
  rebuilt: boolean,
  imageId: string | undefined,
  changedNetworks: ReadonlySet<string>,
): ContainerStep {
  if (!container) return { kind: 'create', service, reason: 'new' };
  if (container.labels[COMPOSE_LABEL.configHash] !== service.hash)
    return { kind: 'recreate', service, container, reason: 'configuration changed' };
  if (rebuilt) return { kind: 'recreate', service, container, reason: 'image rebuilt' };
  if (imageId !== undefined && container.imageId !== imageId)
    return { kind: 'recreate', service, container, reason: 'its image changed' };
  if (service.networks.some((network) => changedNetworks.has(network.name)))
    return { kind: 'recreate', service, container, reason: 'network changed' };
  const attached = new Set(container.networks);
  if (service.networks.some((network) => !attached.has(network.name)))
    return { kind: 'recreate', service, container, reason: 'not on all its networks (an interrupted up)' };
  if (container.state !== 'running') return { kind: 'start', service, container, reason: `was ${container.state}` };
  return { kind: 'keep', service, container };
}

/** Services grouped so that each depends only on services of earlier groups. */
export function dependencyLevels(services: readonly DesiredService[]): DesiredService[][] {
  const names = new Set(services.map((service) => service.service));
  const placed = new Set<string>();
  const levels: DesiredService[][] = [];
  let remaining = [...services];
  while (remaining.length) {
    const ready = remaining.filter((service) => service.dependsOn.every((dep) => placed.has(dep) || !names.has(dep)));
    // A cycle cannot be ordered; start what is left together rather than never.
    const level = ready.length ? ready : remaining;
    levels.push(level);
    for (const service of level) placed.add(service.service);
    remaining = remaining.filter((service) => !placed.has(service.service));
  }
  return levels;
}

/**
 * Another workspace of the same name (or someone's own network) already has this network: recreating it would
 * take it, and its containers, away from them. envctl names what it makes after the workspace's name.
 */
function networkOfAnother(network: ObservedNetwork, desired: Desired): InputError {
  const owner = network.labels[LABEL.root];
  return new InputError(
    `The Docker network ${network.name} already exists and is not this workspace's: it belongs to ` +
      `${owner ? `the workspace at ${owner}, also named "${desired.projectName}"` : 'something envctl did not make'}.`,
    {
      hint: `Give this workspace a name of its own: "name: <name>" in workspace.yml (it defaults to the folder's name).`,
    },
  );
}
