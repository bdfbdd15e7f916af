import { createHash } from 'node:crypto';
import { InputError } from '../errors/envctl-error.js';
import { parseShortVolume } from '../compose/volumes.js';
import { GPU_RESOURCE } from '../engine/swarm.js';
import { LABEL, STACK_NAMESPACE, SWARM_SPEC_HASH } from '../model/labels.js';
import { carriedHostConfig, serviceKeyOfHostConfig } from '../compose/key-rules.js';
import type { KeyLocator } from '../workspace/key-location.js';
import type { Desired, DesiredNetwork, DesiredService } from './desired.js';

/** Where a project may run on the swarm (envctl.yml `placement:`), and whether its GPUs are shared. */
export interface Placement {
  node: string | undefined;
  labels: Record<string, string>;
  sharedGpus?: boolean;
}

export interface SwarmServiceSpec {
  name: string;
  project: string;
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
 * HostConfig keys the swarm column of the key table applies (compose/service-keys.ts): the merge stage has
 * refused the rest by name already; one set here anyway is refused rather than dropped. NetworkMode is
 * envctl's own (the first network) unless network_mode wrote it, which the table refuses.
 */
const CARRIED = new Set([...carriedHostConfig('swarm'), 'NetworkMode']);

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
): SwarmDesired {
  const stack = desired.projectName;
  const warnings = new Set<string>();
  const services = desired.services.map((service) =>
    serviceSpec(service, stack, placements.get(service.project), warnings, refusalAt(service, locate)),
  );
  const networks = desired.networks.map((network) => networkSpec(network, stack));
  return { root: desired.root, stack, services, networks, warnings: [...warnings] };
}

function serviceSpec(
  service: DesiredService,
  stack: string,
  placement: Placement | undefined,
  warnings: Set<string>,
  refuse: Refuse,
): SwarmServiceSpec {
  const create = service.create;
  const host = (create.HostConfig ?? {}) as Record<string, unknown>;
  refuseUncarried(service, host, refuse);
  const requested = gpuCount(service, host.DeviceRequests as GpuRequestBody[] | undefined, refuse);
  const shared = placement?.sharedGpus === true;
  const gpus = shared ? 0 : requested;
  const constraints = constraintsOf(placement);
  const labels = { ...(create.Labels ?? {}), [STACK_NAMESPACE]: stack };
  const ports = publishedPorts(host.PortBindings as PortBindings | undefined, warnings);
  const spec: Record<string, unknown> = prune({
    Name: service.containerName,
    Labels: labels,
    TaskTemplate: prune({
      ContainerSpec: prune({
        Image: create.Image,
        Command: create.Entrypoint,
        Args: create.Cmd,
        Env: create.Env,
        Labels: labels,
        User: create.User,
        Dir: create.WorkingDir,
        Hostname: create.Hostname,
        TTY: create.Tty,
        OpenStdin: create.OpenStdin,
        StopSignal: create.StopSignal,
        StopGracePeriod: create.StopTimeout === undefined ? undefined : create.StopTimeout * 1e9,
        Healthcheck: create.Healthcheck,
        Mounts: mountsOf(host),
        Init: host.Init,
        ReadOnly: host.ReadonlyRootfs,
        Sysctls: host.Sysctls,
        CapabilityAdd: host.CapAdd,
        CapabilityDrop: host.CapDrop,
        Hosts: (host.ExtraHosts as string[] | undefined)?.map((entry) => entry.split(':').reverse().join(' ')),
      }),
      Resources: prune({
        Limits: prune({ NanoCPUs: host.NanoCpus, MemoryBytes: host.Memory, Pids: host.PidsLimit }),
        Reservations: prune({
          MemoryBytes: host.MemoryReservation,
          GenericResources: gpus ? [{ DiscreteResourceSpec: { Kind: GPU_RESOURCE, Value: gpus } }] : undefined,
        }),
      }),
      RestartPolicy: restartPolicy(host.RestartPolicy as { Name?: string; MaximumRetryCount?: number } | undefined),
      Placement: constraints.length ? { Constraints: constraints } : undefined,
      Networks: service.networks.map((network) => ({ Target: network.name, Aliases: network.aliases })),
    }),
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: { Mode: 'dnsrr', Ports: ports },
  });
  const hash = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
  (spec.Labels as Record<string, string>)[SWARM_SPEC_HASH] = hash;
  return {
    name: service.containerName,
    project: service.project,
    gpus,
    sharedGpus: shared ? requested : 0,
    constraints,
    hash,
    spec,
  };
}

/** Throws the refusal of a setting, at the line where the project (or its template) wrote `key`. */
type Refuse = (key: string, message: string, hint: string) => never;

function refusalAt(service: DesiredService, locate: KeyLocator): Refuse {
  const short = service.create.Labels?.[LABEL.service] ?? service.service;
  return (key, message, hint) => {
    const location = locate(service.project, short, key);
    const where = location ? `${location.file}:${location.line}: ` : '';
    throw new InputError(`${where}${message}`, { hint, ...(location ? { location } : {}) });
  };
}

function refuseUncarried(service: DesiredService, host: Record<string, unknown>, refuse: Refuse): void {
  const refused = Object.entries(host).filter(([key, value]) => !CARRIED.has(key) && isSet(value));
  if (refused.length) {
    const keys = refused.map(([key]) => serviceKeyOfHostConfig(key) ?? key);
    refuse(
      keys[0]!,
      `${service.service} sets ${keys.join(', ')}, which a swarm service cannot carry (the Engine's service API has no such setting).`,
      'Remove it from the project or its template, or run the project on one engine (engine: without swarm).',
    );
  }
  const mode = typeof host.NetworkMode === 'string' ? host.NetworkMode : undefined;
  if (
    mode !== undefined &&
    !['default', 'bridge'].includes(mode) &&
    !service.networks.some((network) => network.name === mode)
  ) {
    refuse(
      'network_mode',
      `${service.service} sets network_mode: ${mode}, which a swarm service cannot carry.`,
      'Remove network_mode, or run the project on one engine.',
    );
  }
}

type GpuRequestBody = { Count?: number; DeviceIDs?: string[] | null };

/** A count of GPUs becomes a generic-resource reservation; "all" and named GPUs cannot be asked of a swarm. */
function gpuCount(service: DesiredService, requests: GpuRequestBody[] | undefined, refuse: Refuse): number {
  let count = 0;
  for (const request of requests ?? []) {
    if (request.DeviceIDs?.length || request.Count === -1) {
      refuse(
        'gpus',
        `${service.project} asks for ${request.DeviceIDs?.length ? `the GPUs ${request.DeviceIDs.join(', ')}` : 'all GPUs'}, ` +
          'and a swarm hands out GPUs by count only.',
        `Write gpus: <count> in projects/${service.project}/envctl.yml; the scheduler gives distinct GPUs on the node it picks.`,
      );
    }
    count += request.Count ?? 0;
  }
  return count;
}

function constraintsOf(placement: Placement | undefined): string[] {
  if (!placement) return [];
  const constraints = placement.node ? [`node.hostname==${placement.node}`] : [];
  for (const [key, value] of Object.entries(placement.labels)) constraints.push(`node.labels.${key}==${value}`);
  return constraints;
}

type PortBindings = Record<string, Array<{ HostIp?: string; HostPort?: string }> | null>;

/** Host-mode ports: published on the node a task runs on, on all of its addresses (host mode binds no one address). */
function publishedPorts(bindings: PortBindings | undefined, warnings: Set<string>) {
  return Object.entries(bindings ?? {}).flatMap(([containerPort, hosts]) => {
    const [target, protocol = 'tcp'] = containerPort.split('/');
    return (hosts ?? []).map((binding) => {
      if (binding.HostIp && !['0.0.0.0', '::', ''].includes(binding.HostIp))
        warnings.add(
          `on a swarm, ports are published on every address of the node a task runs on (host mode binds no single address): ` +
            `ports.bind ${binding.HostIp} does not apply.`,
        );
      return {
        Protocol: protocol,
        TargetPort: Number(target),
        PublishedPort: Number(binding.HostPort),
        PublishMode: 'host',
      };
    });
  });
}

function mountsOf(host: Record<string, unknown>): Array<Record<string, unknown>> | undefined {
  const binds = ((host.Binds as string[] | undefined) ?? []).map((text) => {
    const { source, target, mode } = parseShortVolume(text);
    const readOnly = (mode ?? '').split(',').includes('ro');
    const type = source?.startsWith('/') ? 'bind' : 'volume';
    return prune({ Type: type, Source: source, Target: target, ReadOnly: readOnly || undefined });
  });
  const mounts = [...binds, ...((host.Mounts as Array<Record<string, unknown>> | undefined) ?? [])];
  return mounts.length ? mounts : undefined;
}

/**
 * Compose's `restart:` on a swarm, as close as the service API allows. "no" becomes on-failure: with none,
 * the swarm would not even retry a task it rejected on a node that turned out not to fit.
 */
function restartPolicy(policy: { Name?: string; MaximumRetryCount?: number } | undefined) {
  if (!policy?.Name || policy.Name === 'no' || policy.Name === 'on-failure')
    return prune({ Condition: 'on-failure', MaxAttempts: policy?.MaximumRetryCount || undefined });
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

function isSet(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function prune<T extends Record<string, unknown>>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}
