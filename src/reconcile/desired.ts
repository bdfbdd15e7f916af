import { createHash } from 'node:crypto';
import type { BuildSpec, ContainerCreateBody, NetworkCreateBody, VolumeCreateBody } from '../engine/engine.js';
import {
  CACHE_SCOPE_KEY,
  DEPENDENCY_FILES,
  USER_LAYER_KEY,
  type ComposeFile,
  type ServiceSpec,
} from '../compose/compose-types.js';
import { asMapping } from '../compose/merge.js';
import { COMPOSE_LABEL, COMPOSE_VERSION, ENVCTL_CONFIG_HASH, LABEL } from '../model/labels.js';
import { scalarText } from '../compose/scalar.js';
import { commandWords, listValue } from '../compose/short-syntax.js';
import { parseBytes, parseDurationNs } from '../util/units.js';
import {
  stringValues,
  ulimitsOf,
  devicesOf,
  tmpfsOf,
  logConfigOf,
  buildSpec,
  volumesOf,
  portsOf,
  restartPolicy,
  deviceRequests,
  environmentOf,
  healthcheckOf,
  prune,
  type HealthcheckSpec,
} from './desired-fields.js';

type NetworkSpec = NonNullable<NonNullable<ComposeFile['networks']>[string]>;

/** One container envctl wants running, with everything the engine needs to make it. */
export interface DesiredService {
  project: string;
  /** The namespaced service name, <project>-<service>. */
  service: string;
  containerName: string;
  image: string;
  build: BuildSpec | undefined;
  /** The Engine API's container create body, less the networks beyond the first. */
  create: ContainerCreateBody;
  /** Networks to join (engine names) with the aliases the service answers to there; the first is joined at create. */
  networks: Array<{ name: string; aliases: string[] }>;
  dependsOn: string[];
  /** What each dependency must reach before this service starts (Compose's depends_on conditions). */
  waitFor: Array<{ service: string; containerName: string; condition: DependencyCondition }>;
  /** Changes whenever anything that needs a new container changes: Compose's config-hash. */
  hash: string;
}

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface DesiredNetwork {
  key: string;
  name: string;
  project: string | undefined;
  create: NetworkCreateBody;
  hash: string;
}

export interface DesiredVolume {
  key: string;
  name: string;
  project: string | undefined;
  external: boolean;
  create: VolumeCreateBody;
}

export interface Desired {
  projectName: string;
  /** The workspace's root, as its labels say: what is labelled so and not desired is removed. */
  root: string;
  services: DesiredService[];
  networks: DesiredNetwork[];
  volumes: DesiredVolume[];
}

export interface DesiredContext {
  projectName: string;
  root: string;
  composeDir: string;
  configFile: string;
  /** The variables of the env files services name, read at the edge. */
  envFiles: ReadonlyMap<string, Record<string, string>>;
  /** Where the engine finds a bind mount's host path (a server's synced copy); as written when absent. */
  bindSource?: ((path: string) => string) | undefined;
}

/** The merged compose model as what the engine should hold: containers, networks and volumes. */
export function desiredState(model: ComposeFile, context: DesiredContext): Desired {
  const networkNames = new Map(
    Object.entries(model.networks ?? {}).map(([key, spec]) => [
      key,
      spec?.name === undefined ? `${context.projectName}_${key}` : scalarText(spec.name),
    ]),
  );
  const volumeNames = new Map(
    Object.entries(model.volumes ?? {}).map(([key, spec]) => [
      key,
      spec?.name === undefined ? `${context.projectName}_${key}` : scalarText(spec.name),
    ]),
  );
  const networks = Object.entries(model.networks ?? {}).map(([key, spec]) =>
    desiredNetwork(key, networkNames.get(key)!, spec ?? {}, context),
  );
  const volumes = Object.entries(model.volumes ?? {}).map(([key, spec]): DesiredVolume => {
    const labels: Record<string, string> = {
      ...(asMapping(spec?.labels, 'labels') as Record<string, string>),
      [COMPOSE_LABEL.project]: context.projectName,
      [COMPOSE_LABEL.volume]: key,
      [COMPOSE_LABEL.version]: COMPOSE_VERSION,
    };
    return {
      key,
      name: volumeNames.get(key)!,
      project: labels[LABEL.project],
      external: Boolean(spec?.external),
      create: {
        Name: volumeNames.get(key)!,
        Driver: spec?.driver ?? 'local',
        DriverOpts: spec?.driver_opts ?? {},
        Labels: labels,
      },
    };
  });
  const services = Object.entries(model.services ?? {}).map(([name, spec]) =>
    desiredService(name, spec, context, networkNames, volumeNames),
  );
  return { projectName: context.projectName, root: context.root, services, networks, volumes };
}

function desiredNetwork(key: string, name: string, spec: NetworkSpec, context: DesiredContext): DesiredNetwork {
  const labels: Record<string, string> = {
    ...(asMapping(spec.labels, 'labels') as Record<string, string>),
    [COMPOSE_LABEL.project]: context.projectName,
    [COMPOSE_LABEL.network]: key,
    [COMPOSE_LABEL.version]: COMPOSE_VERSION,
  };
  const ipam = spec.ipam?.config ?? [];
  const create: NetworkCreateBody = {
    Name: name,
    Driver: spec.driver ?? 'bridge',
    CheckDuplicate: true,
    Internal: Boolean(spec.internal),
    Attachable: Boolean(spec.attachable),
    IPAM: { Driver: 'default', Config: ipam.map((entry) => ({ Subnet: entry.subnet, Gateway: entry.gateway })) },
    Labels: labels,
  };
  const hash = hashOf({ ...create, Labels: undefined });
  create.Labels = { ...labels, [ENVCTL_CONFIG_HASH]: hash };
  return { key, name, project: labels[LABEL.project], create, hash };
}

function desiredService(
  name: string,
  spec: ServiceSpec,
  context: DesiredContext,
  networkNames: ReadonlyMap<string, string>,
  volumeNames: ReadonlyMap<string, string>,
): DesiredService {
  const labels = asMapping(spec.labels, 'labels') as Record<string, string>;
  const project = labels[LABEL.project]!;
  const image = spec.image ?? `${context.projectName}-${name}`;
  const build = serviceBuild(spec);
  const serviceNetworks = serviceNetworksOf(spec, networkNames);
  const containerOf = (service: string) => `${context.projectName}-${service}-1`;
  const { waitFor, sharedNetwork, dependsOn } = dependenciesOf(spec, containerOf);
  const containerLabels = containerLabelsOf(labels, name, context);
  const { exposed, bindings } = portsOf(spec.ports ?? [], (spec.expose as unknown[] | undefined) ?? []);
  const create: ContainerCreateBody = prune({
    Image: image,
    Cmd: commandWords(spec.command),
    Entrypoint: commandWords(spec.entrypoint),
    Env: environmentOf(name, spec, context.envFiles),
    WorkingDir: spec.working_dir,
    User: spec.user,
    Hostname: spec.hostname,
    Domainname: spec.domainname,
    Tty: spec.tty,
    OpenStdin: spec.stdin_open,
    StopSignal: spec.stop_signal,
    StopTimeout:
      spec.stop_grace_period === undefined ? undefined : Math.round(parseDurationNs(spec.stop_grace_period) / 1e9),
    Healthcheck: healthcheckOf(spec.healthcheck as HealthcheckSpec | undefined),
    ExposedPorts: exposed,
    Labels: containerLabels,
    HostConfig: prune(
      hostConfigOf(
        spec,
        bindings,
        volumeNames,
        serviceNetworks[0]?.name,
        sharedNetwork && containerOf(sharedNetwork),
        context.bindSource,
      ),
    ),
    NetworkingConfig: serviceNetworks[0]
      ? { EndpointsConfig: { [serviceNetworks[0].name]: { Aliases: serviceNetworks[0].aliases } } }
      : undefined,
  });
  const hash = hashOf({
    create: { ...create, Labels: { ...containerLabels, [COMPOSE_LABEL.configHash]: undefined } },
    networks: serviceNetworks,
    build,
  });
  containerLabels[COMPOSE_LABEL.configHash] = hash;
  return {
    project,
    service: name,
    containerName: containerOf(name),
    image,
    build,
    create,
    networks: serviceNetworks,
    dependsOn,
    waitFor,
    hash,
  };
}

function serviceBuild(spec: ServiceSpec): DesiredService['build'] {
  return buildSpec(
    spec.build,
    (spec[DEPENDENCY_FILES] as string[] | undefined) ?? [],
    spec[USER_LAYER_KEY] === true,
    typeof spec[CACHE_SCOPE_KEY] === 'string' ? spec[CACHE_SCOPE_KEY] : undefined,
  );
}

function serviceNetworksOf(spec: ServiceSpec, networkNames: ReadonlyMap<string, string>): DesiredService['networks'] {
  return Object.entries(asMapping(spec.networks, 'networks')).map(([key, value]) => ({
    name: networkNames.get(key) ?? key,
    aliases: ((value as { aliases?: string[] } | null)?.aliases ?? []).map(String),
  }));
}

/** depends_on and `network_mode: service:x`: both start the other service first. */
function dependenciesOf(spec: ServiceSpec, containerOf: (service: string) => string) {
  const waitFor: DesiredService['waitFor'] = Object.entries(asMapping(spec.depends_on, 'depends_on')).map(
    ([service, value]) => ({
      service,
      containerName: containerOf(service),
      condition: (value as { condition?: DependencyCondition } | null)?.condition ?? 'service_started',
    }),
  );
  const sharedNetwork =
    typeof spec.network_mode === 'string' && spec.network_mode.startsWith('service:')
      ? spec.network_mode.slice('service:'.length)
      : undefined;
  const dependsOn = [
    ...new Set([...waitFor.map((dependency) => dependency.service), ...(sharedNetwork ? [sharedNetwork] : [])]),
  ];
  return { waitFor, sharedNetwork, dependsOn };
}

/** The labels Compose itself puts on a container, so `docker compose ps` sees envctl's as its own. */
function containerLabelsOf(labels: Record<string, string>, name: string, context: DesiredContext) {
  const containerLabels: Record<string, string> = {
    ...labels,
    [COMPOSE_LABEL.project]: context.projectName,
    [COMPOSE_LABEL.service]: name,
    [COMPOSE_LABEL.containerNumber]: '1',
    [COMPOSE_LABEL.oneoff]: 'False',
    [COMPOSE_LABEL.workingDir]: context.composeDir,
    [COMPOSE_LABEL.configFiles]: context.configFile,
    [COMPOSE_LABEL.version]: COMPOSE_VERSION,
  };
  return containerLabels;
}

/** The container's HostConfig: every applied key of compose/service-keys.ts that lands there. */
function hostConfigOf(
  spec: ServiceSpec,
  bindings: Record<string, unknown> | undefined,
  volumeNames: ReadonlyMap<string, string>,
  firstNetwork: string | undefined,
  sharedNetworkContainer: string | undefined,
  bindSource: ((path: string) => string) | undefined,
): Record<string, unknown> {
  const { binds, mounts } = volumesOf(spec.volumes ?? [], volumeNames, bindSource ?? ((path) => path));
  const resources = (spec.deploy?.resources ?? {}) as {
    limits?: Record<string, unknown>;
    reservations?: Record<string, unknown>;
  };
  const limits = resources.limits ?? {};
  const reservations = resources.reservations ?? {};
  const bytes = (value: unknown) => (value === undefined ? undefined : parseBytes(value as string));
  const nanoCpus = (value: unknown) => (value === undefined ? undefined : Math.round(Number(value) * 1e9));
  return {
    Binds: binds,
    Mounts: mounts,
    PortBindings: bindings,
    RestartPolicy: restartPolicy(spec.restart),
    DeviceRequests: deviceRequests(spec),
    Devices: devicesOf(spec.devices),
    DeviceCgroupRules: spec.device_cgroup_rules,
    ShmSize: bytes(spec.shm_size),
    CapAdd: spec.cap_add,
    CapDrop: spec.cap_drop,
    Privileged: spec.privileged,
    ExtraHosts:
      spec.extra_hosts === undefined
        ? undefined
        : Object.entries(asMapping(spec.extra_hosts, 'extra_hosts')).map(([host, ip]) => `${host}:${scalarText(ip)}`),
    Init: spec.init,
    ReadonlyRootfs: spec.read_only,
    Memory: bytes(limits.memory ?? spec.mem_limit),
    MemoryReservation: bytes(reservations.memory ?? spec.mem_reservation),
    MemorySwap:
      spec.memswap_limit === undefined
        ? undefined
        : spec.memswap_limit === -1 || spec.memswap_limit === '-1'
          ? -1
          : bytes(spec.memswap_limit),
    MemorySwappiness: spec.mem_swappiness,
    NanoCpus: nanoCpus(limits.cpus ?? spec.cpus),
    CpuShares: reservations.cpus === undefined ? spec.cpu_shares : Math.round(Number(reservations.cpus) * 1024),
    CpuQuota: spec.cpu_quota,
    CpuPeriod: spec.cpu_period,
    CpusetCpus: spec.cpuset,
    PidsLimit: limits.pids ?? spec.pids_limit,
    OomKillDisable: spec.oom_kill_disable,
    OomScoreAdj: spec.oom_score_adj,
    Ulimits: ulimitsOf(spec.ulimits),
    Sysctls: spec.sysctls === undefined ? undefined : stringValues(asMapping(spec.sysctls, 'sysctls')),
    GroupAdd: (spec.group_add as unknown[] | undefined)?.map(String),
    Tmpfs: tmpfsOf(spec.tmpfs),
    SecurityOpt: spec.security_opt,
    StorageOpt: spec.storage_opt,
    Dns: listValue(spec.dns),
    DnsOptions: spec.dns_opt,
    DnsSearch: listValue(spec.dns_search),
    IpcMode: spec.ipc,
    PidMode: spec.pid,
    UTSMode: spec.uts,
    UsernsMode: spec.userns_mode,
    CgroupnsMode: spec.cgroup,
    CgroupParent: spec.cgroup_parent,
    Runtime: spec.runtime,
    LogConfig: logConfigOf(spec.logging as { driver?: string; options?: Record<string, unknown> } | undefined),
    NetworkMode: sharedNetworkContainer ? `container:${sharedNetworkContainer}` : (spec.network_mode ?? firstNetwork),
  };
}

export function hashOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
