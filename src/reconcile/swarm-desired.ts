import { InputError } from '../errors/envctl-error.js';
import { refusedKeys } from '../compose/key-rules.js';
import { SERVICE_KEYS } from '../compose/service-keys.js';
import type { PortModel, ResourceModel, RestartModel, VolumeModel } from '../compose/service-model.js';
import { GPU_RESOURCE } from '../engine/swarm.js';
import { LABEL, STACK_NAMESPACE, SWARM_SPEC_HASH, SWARM_SYNCED_FOLDER } from '../model/labels.js';
import type { KeyLocator } from '../workspace/key-location.js';
import { hashOf, type Desired, type DesiredNetwork, type DesiredService, type DesiredVolume } from './desired.js';
import { envLines, healthConfig, longMount, prune } from './engine-body.js';

/** Where a project may run on the swarm (envctl.yml `placement:`), and whether its GPUs are shared. */
export interface Placement {
  node: string | undefined;
  labels: Record<string, string>;
  sharedGpus?: boolean;
  /** The project mounts its folder, synced with the node it is pinned to (node). */
  syncedFolder?: boolean;
}

export interface SwarmServiceSpec {
  name: string;
  project: string;
  /** The image's name, and its id where the manager built it (then carried to the nodes). */
  image: string;
  imageId: string | undefined;
  /** GPUs it reserves (generic resources), for the fit check before deploying. */
  gpus: number;
  /** GPUs it uses beside others (gpu_sharing: shared): no reservation; envctl names them on a node that has them. */
  sharedGpus: number;
  constraints: string[];
  hash: string;
  spec: Record<string, unknown>;
}

export interface SwarmNetworkSpec {
  name: string;
  create: Record<string, unknown>;
}

export interface SwarmDesired {
  root: string;
  stack: string;
  services: SwarmServiceSpec[];
  networks: SwarmNetworkSpec[];
  /** Settings that a swarm applies differently, said once. */
  warnings: string[];
}

/**
 * The engine's desired containers as swarm services, the way `docker stack deploy` makes them: one replica
 * each, host-mode ports (the routing mesh needs IPVS), DNS round robin on the overlay networks (no virtual IP,
 * for the same reason), the stack's labels; a project's GPUs as a generic-resource reservation, its
 * `placement:` as constraints. A setting the service API cannot carry is refused by name.
 */
export function swarmDesired(
  desired: Desired,
  placements: ReadonlyMap<string, Placement>,
  locate: KeyLocator = () => undefined,
  built: ReadonlyMap<string, string> = new Map(),
): SwarmDesired {
  const stack = desired.projectName;
  const warnings = new Set<string>();
  const volumes = new Map(desired.volumes.map((volume) => [volume.name, volume]));
  const context: StackContext = { stack, built, warnings, volumes };
  const services = desired.services.map((service) =>
    serviceSpec(service, context, placements.get(service.project), refusalAt(service, locate)),
  );
  const networks = desired.networks.map((network) => networkSpec(network, stack));
  return { root: desired.root, stack, services, networks, warnings: [...warnings] };
}

/** What every service of the stack shares: its name, the images built for it, the warnings said once. */
interface StackContext {
  stack: string;
  /** The id of each image the manager built (by name): a task runs exactly that image, pulled from nowhere. */
  built: ReadonlyMap<string, string>;
  warnings: Set<string>;
  /** The workspace's named volumes, by their engine names. */
  volumes: NamedVolumes;
}

function serviceSpec(
  service: DesiredService,
  { stack, built, warnings, volumes }: StackContext,
  placement: Placement | undefined,
  refuse: Refuse,
): SwarmServiceSpec {
  refuseUncarried(service, refuse);
  const { model } = service;
  const requested = gpuCount(service, refuse);
  const shared = placement?.sharedGpus === true;
  const gpus = shared ? 0 : requested;
  const constraints = constraintsOf(placement);
  const synced: Record<string, string> = placement?.syncedFolder ? { [SWARM_SYNCED_FOLDER]: 'true' } : {};
  const labels = { ...service.labels, ...synced, [STACK_NAMESPACE]: stack };
  const spec: Record<string, unknown> = prune({
    Name: service.containerName,
    Labels: labels,
    TaskTemplate: prune({
      ContainerSpec: containerSpec(service, built.get(service.image) ?? service.image, labels, volumes),
      Resources: resourcesOf(model.resources, gpus),
      RestartPolicy: restartPolicy(model.process.restart),
      Placement: constraints.length ? { Constraints: constraints } : undefined,
      Networks: service.networks.map((network) => ({ Target: network.name, Aliases: network.aliases })),
    }),
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: { Mode: 'dnsrr', Ports: publishedPorts(model.network.ports, warnings) },
  });
  const hash = hashOf(spec).slice(0, 16);
  (spec.Labels as Record<string, string>)[SWARM_SPEC_HASH] = hash;
  return {
    name: service.containerName,
    project: service.project,
    image: service.image,
    imageId: carriedId(built.get(service.image)),
    gpus,
    sharedGpus: shared ? requested : 0,
    constraints,
    hash,
    spec,
  };
}

/**
 * A built image is named by its id: a node then runs exactly that image and never asks a registry for it (the
 * Engine pulls a service's image by name first, and would find another of that name, or wait for none; it skips
 * the pull for an id: moby daemon/cluster/executor/container/adapter.go, pullImage).
 */
function containerSpec(service: DesiredService, image: string, labels: Record<string, string>, named: NamedVolumes) {
  const { process, storage, kernel, network } = service.model;
  return prune({
    Image: image,
    Command: process.entrypoint,
    Args: process.command,
    Env: envLines(process.environment),
    Labels: labels,
    User: process.user,
    Dir: process.workingDir,
    Hostname: process.hostname,
    TTY: process.tty,
    OpenStdin: process.stdinOpen,
    StopSignal: process.stopSignal,
    StopGracePeriod: process.stopGracePeriodNs,
    Healthcheck: healthConfig(process.healthcheck),
    Mounts: mountsOf(storage.volumes, named),
    Init: process.init,
    ReadOnly: process.readOnly,
    Sysctls: kernel.sysctls,
    CapabilityAdd: kernel.capAdd,
    CapabilityDrop: kernel.capDrop,
    // The service API writes /etc/hosts lines: address first.
    Hosts: network.extraHosts?.map(({ host, address }) => `${address} ${host}`),
  });
}

function resourcesOf(resources: ResourceModel, gpus: number): Record<string, unknown> {
  return prune({
    Limits: prune({ NanoCPUs: resources.nanoCpus, MemoryBytes: resources.memoryBytes, Pids: resources.pids }),
    Reservations: prune({
      MemoryBytes: resources.memoryReservationBytes,
      GenericResources: gpus ? [{ DiscreteResourceSpec: { Kind: GPU_RESOURCE, Value: gpus } }] : undefined,
    }),
  });
}

/** The id of an image the manager built and carries to the nodes; none for one a registry serves them. */
function carriedId(run: string | undefined): string | undefined {
  return run !== undefined && /^sha256:[0-9a-f]{64}$/.test(run) ? run : undefined;
}

/** Throws the refusal of a setting, at the line where the project (or its template) wrote `key`. */
type Refuse = (key: string, message: string, hint: string) => never;

function refusalAt(service: DesiredService, locate: KeyLocator): Refuse {
  const short = service.labels[LABEL.service] ?? service.service;
  return (key, message, hint) => {
    const location = locate(service.project, short, key);
    const where = location ? `${location.file}:${location.line}: ` : '';
    throw new InputError(`${where}${message}`, { hint, ...(location ? { location } : {}) });
  };
}

/**
 * The swarm column of the key table (compose/service-keys.ts), read as the merge stage reads it: render has
 * refused these at their lines already, so this is a guard that what a swarm cannot carry is never dropped.
 */
function refuseUncarried(service: DesiredService, refuse: Refuse): void {
  const refused = refusedKeys(service.compose, SERVICE_KEYS, 'swarm');
  if (!refused.length) return;
  const keys = [...new Set(refused.map(({ path }) => path.join('.')))];
  refuse(
    String(refused[0]!.path[0]),
    `${service.service} sets ${keys.join(', ')}, which envctl does not apply on a swarm: ${refused[0]!.why}.`,
    'Remove it from the project or its template, or run the project on one engine (engine: without swarm).',
  );
}

/** A count of GPUs becomes a generic-resource reservation; "all" and named GPUs cannot be asked of a swarm. */
function gpuCount(service: DesiredService, refuse: Refuse): number {
  let count = 0;
  for (const request of service.model.resources.gpus ?? []) {
    if (request.deviceIds?.length || request.count === 'all') {
      refuse(
        'gpus',
        `${service.project} asks for ${request.deviceIds?.length ? `the GPUs ${request.deviceIds.join(', ')}` : 'all GPUs'}, ` +
          'and a swarm hands out GPUs by count only.',
        `Write gpus: <count> in projects/${service.project}/envctl.yml; the scheduler gives distinct GPUs on the node it picks.`,
      );
    }
    count += request.count ?? 0;
  }
  return count;
}

/** placement: as the swarm's constraints. */
export function constraintsOf(placement: Placement | undefined): string[] {
  if (!placement) return [];
  const constraints = placement.node ? [`node.hostname==${placement.node}`] : [];
  for (const [key, value] of Object.entries(placement.labels)) constraints.push(`node.labels.${key}==${value}`);
  return constraints;
}

/** Host-mode ports: published on the node a task runs on, on all of its addresses (host mode binds no one address). */
function publishedPorts(ports: PortModel[], warnings: Set<string>) {
  return ports.map((port) => {
    if (port.hostIp && !['0.0.0.0', '::'].includes(port.hostIp))
      warnings.add(
        `on a swarm, ports are published on every address of the node a task runs on (host mode binds no single address): ` +
          `ports.bind ${port.hostIp} does not apply.`,
      );
    return {
      Protocol: port.protocol,
      TargetPort: port.target,
      PublishedPort: port.published === undefined ? 0 : Number(port.published),
      PublishMode: 'host',
    };
  });
}

/**
 * Short entries as the engine reads them: a source that is a path is a bind, any other a named volume. A named
 * volume of the workspace is made by each node where a task needs it, so its mount carries the volume's labels
 * (down -v finds it by them) and its driver and options, as `docker stack deploy` does.
 */
function mountsOf(volumes: VolumeModel[], named: NamedVolumes): Array<Record<string, unknown>> | undefined {
  const mounts = volumes.map((volume) => {
    if (volume.syntax === 'long') return withVolumeOptions(longMount(volume), named);
    const readOnly = (volume.mode ?? '').split(',').includes('ro');
    const type = volume.source?.startsWith('/') ? 'bind' : 'volume';
    const mount = { Type: type, Source: volume.source, Target: volume.target, ReadOnly: readOnly || undefined };
    return withVolumeOptions(prune(mount), named);
  });
  return mounts.length ? mounts : undefined;
}

type NamedVolumes = ReadonlyMap<string, DesiredVolume>;

function withVolumeOptions(mount: Record<string, unknown>, named: NamedVolumes): Record<string, unknown> {
  const volume = mount.Type === 'volume' ? named.get(String(mount.Source)) : undefined;
  if (!volume || volume.external) return mount;
  const { Driver, DriverOpts, Labels } = volume.create;
  const driver = Driver && Driver !== 'local' ? Driver : undefined;
  const options = DriverOpts && Object.keys(DriverOpts).length ? DriverOpts : undefined;
  return {
    ...mount,
    VolumeOptions: prune({
      ...(mount.VolumeOptions as Record<string, unknown> | undefined),
      Labels,
      DriverConfig: driver || options ? prune({ Name: driver, Options: options }) : undefined,
    }),
  };
}

/**
 * Compose's `restart:` on a swarm, as close as the service API allows. "no" becomes on-failure: with none,
 * the swarm would not even retry a task it rejected on a node that turned out not to fit.
 */
function restartPolicy(restart: RestartModel | undefined) {
  if (!restart || restart.name === 'no' || restart.name === 'on-failure')
    return prune({ Condition: 'on-failure', MaxAttempts: restart?.maxRetries || undefined });
  return { Condition: 'any' };
}

/** The workspace's networks as attachable overlays (so one project reaches another across nodes), same subnets. */
function networkSpec(network: DesiredNetwork, stack: string): SwarmNetworkSpec {
  const create = network.create as Record<string, unknown>;
  const labels = { ...((create.Labels ?? {}) as Record<string, string>), [STACK_NAMESPACE]: stack };
  const options = Object.fromEntries(
    Object.entries((create.Options ?? {}) as Record<string, string>).filter(
      ([key]) => !key.startsWith('com.docker.network.bridge.'),
    ),
  );
  return {
    name: network.name,
    create: prune({ ...create, Driver: 'overlay', Attachable: true, Scope: 'swarm', Labels: labels, Options: options }),
  };
}
