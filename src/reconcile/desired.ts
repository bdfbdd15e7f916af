import { createHash } from 'node:crypto';
import { parse as parseShell } from 'shell-quote';
import type { BuildSpec, ContainerCreateBody, NetworkCreateBody, VolumeCreateBody } from '../engine/engine.js';
import {
  CACHE_SCOPE_KEY,
  DEPENDENCY_FILES,
  USER_LAYER_KEY,
  type ComposeFile,
  type PortSpec,
  type ServiceSpec,
  type VolumeMount,
} from '../compose/compose-types.js';
import { asMapping } from '../compose/merge.js';
import { normalizePort } from '../compose/ports.js';
import { InputError } from '../errors/envctl-error.js';
import { parseBytes, parseDurationNs } from '../util/units.js';
import { COMPOSE_LABEL, COMPOSE_VERSION, ENVCTL_CONFIG_HASH, LABEL } from '../model/labels.js';
import { scalarText } from '../compose/scalar.js';
import { formatShortVolume, parseShortVolume } from '../compose/volumes.js';

type NetworkSpec = NonNullable<NonNullable<ComposeFile['networks']>[string]>;

interface HealthcheckSpec {
  disable?: boolean;
  test?: string | string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}

interface DeviceSpec {
  driver?: string;
  count?: number | 'all';
  device_ids?: string[];
  capabilities?: string[];
  options?: Record<string, string>;
}

type DeviceRequest = NonNullable<NonNullable<ContainerCreateBody['HostConfig']>['DeviceRequests']>[number];

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
  const build = buildSpec(
    spec.build,
    (spec[DEPENDENCY_FILES] as string[] | undefined) ?? [],
    spec[USER_LAYER_KEY] === true,
    typeof spec[CACHE_SCOPE_KEY] === 'string' ? spec[CACHE_SCOPE_KEY] : undefined,
  );
  const serviceNetworks = Object.entries(asMapping(spec.networks, 'networks')).map(([key, value]) => ({
    name: networkNames.get(key) ?? key,
    aliases: ((value as { aliases?: string[] } | null)?.aliases ?? []).map(String),
  }));
  const containerOf = (service: string) => `${context.projectName}-${service}-1`;
  const waitFor = Object.entries(asMapping(spec.depends_on, 'depends_on')).map(([service, value]) => ({
    service,
    containerName: containerOf(service),
    condition: (value as { condition?: DependencyCondition } | null)?.condition ?? 'service_started',
  }));
  const sharedNetwork =
    typeof spec.network_mode === 'string' && spec.network_mode.startsWith('service:')
      ? spec.network_mode.slice('service:'.length)
      : undefined;
  const dependsOn = [
    ...new Set([...waitFor.map((dependency) => dependency.service), ...(sharedNetwork ? [sharedNetwork] : [])]),
  ];
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
  const { exposed, bindings } = portsOf(spec.ports ?? [], (spec.expose as unknown[] | undefined) ?? []);
  const create: ContainerCreateBody = prune({
    Image: image,
    Cmd: commandOf(spec.command),
    Entrypoint: commandOf(spec.entrypoint),
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
    Dns: listOf(spec.dns),
    DnsOptions: spec.dns_opt,
    DnsSearch: listOf(spec.dns_search),
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

function listOf(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).map(String);
}

function stringValues(mapping: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(mapping).map(([key, value]) => [key, scalarText(value ?? '')]));
}

/** `nofile: 65535` or `nofile: { soft: 1024, hard: 2048 }`. */
function ulimitsOf(ulimits: unknown): Array<{ Name: string; Soft: number; Hard: number }> | undefined {
  if (ulimits === undefined) return undefined;
  return Object.entries(ulimits as Record<string, number | { soft: number; hard: number }>).map(([name, value]) =>
    typeof value === 'object'
      ? { Name: name, Soft: Number(value.soft), Hard: Number(value.hard) }
      : { Name: name, Soft: Number(value), Hard: Number(value) },
  );
}

/** "/dev/ttyUSB0", "/dev/ttyUSB0:/dev/ttyS0:rw", or { source, target, permissions }. */
function devicesOf(
  devices: unknown,
): Array<{ PathOnHost: string; PathInContainer: string; CgroupPermissions: string }> | undefined {
  if (devices === undefined) return undefined;
  return (devices as Array<string | { source: string; target?: string; permissions?: string }>).map((device) => {
    const [source, target, permissions] =
      typeof device === 'string' ? device.split(':') : [device.source, device.target, device.permissions];
    return { PathOnHost: source, PathInContainer: target ?? source, CgroupPermissions: permissions ?? 'rwm' };
  });
}

/** "/run" or "/run:size=64m" (one or a list) → { "/run": "size=64m" }. */
function tmpfsOf(tmpfs: unknown): Record<string, string> | undefined {
  if (tmpfs === undefined) return undefined;
  const entries = (Array.isArray(tmpfs) ? tmpfs : [tmpfs]).map(String);
  return Object.fromEntries(
    entries.map((entry) => {
      const colon = entry.indexOf(':');
      return colon < 0 ? [entry, ''] : [entry.slice(0, colon), entry.slice(colon + 1)];
    }),
  );
}

function logConfigOf(
  logging: { driver?: string; options?: Record<string, unknown> } | undefined,
): { Type: string; Config: Record<string, string> } | undefined {
  if (!logging) return undefined;
  return { Type: logging.driver ?? '', Config: stringValues(logging.options ?? {}) };
}

function buildSpec(
  build: ServiceSpec['build'],
  dependencyFiles: string[],
  userLayer: boolean,
  cacheScope: string | undefined,
): BuildSpec | undefined {
  if (build === undefined) return undefined;
  const spec = typeof build === 'string' ? { context: build } : build;
  const args = asMapping(spec.args, 'args');
  return {
    context: scalarText(spec.context ?? '.'),
    dockerfile: spec.dockerfile === undefined ? undefined : scalarText(spec.dockerfile),
    ...(spec.target === undefined ? {} : { target: scalarText(spec.target) }),
    args: Object.fromEntries(Object.entries(args).map(([key, value]) => [key, scalarText(value ?? '')])),
    dependencyFiles,
    ...(userLayer ? { userLayer } : {}),
    ...(cacheScope ? { cacheScope } : {}),
  };
}

function volumesOf(
  volumes: Array<string | VolumeMount>,
  volumeNames: ReadonlyMap<string, string>,
  bindSource: (path: string) => string,
) {
  const binds: string[] = [];
  const mounts: Array<Record<string, unknown>> = [];
  for (const volume of volumes) {
    if (typeof volume === 'string') {
      const { source, target, mode } = parseShortVolume(volume);
      if (source === undefined) {
        mounts.push({ Type: 'volume', Target: target });
        continue;
      }
      const named = volumeNames.get(source) ?? source;
      binds.push(formatShortVolume({ source: source.startsWith('/') ? bindSource(source) : named, target, mode }));
    } else {
      const type = volume.type ?? 'volume';
      const source =
        type === 'volume' && volume.source
          ? (volumeNames.get(volume.source) ?? volume.source)
          : type === 'bind' && volume.source
            ? bindSource(volume.source)
            : volume.source;
      mounts.push(
        prune({
          Type: type,
          Source: source,
          Target: volume.target,
          ReadOnly: volume.read_only as boolean | undefined,
          ...mountOptions(volume),
        }),
      );
    }
  }
  return { binds: binds.length ? binds : undefined, mounts: mounts.length ? mounts : undefined };
}

function mountOptions(volume: VolumeMount): Record<string, unknown> {
  const bind = volume.bind as { propagation?: string } | undefined;
  const named = volume.volume as { nocopy?: boolean } | undefined;
  const tmpfs = volume.tmpfs as { size?: string | number; mode?: number } | undefined;
  return prune({
    BindOptions: bind?.propagation === undefined ? undefined : { Propagation: bind.propagation },
    VolumeOptions: named?.nocopy === undefined ? undefined : { NoCopy: named.nocopy },
    TmpfsOptions: tmpfs
      ? prune({ SizeBytes: tmpfs.size === undefined ? undefined : parseBytes(tmpfs.size), Mode: tmpfs.mode })
      : undefined,
  });
}

function portsOf(ports: Array<string | number | PortSpec>, expose: unknown[]) {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const entry of ports) {
    const port = normalizePort(entry) as PortSpec;
    const key = `${port.target}/${port.protocol ?? 'tcp'}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({
      HostIp: port.host_ip ?? '',
      HostPort: port.published === undefined ? '' : scalarText(port.published),
    });
  }
  for (const entry of expose) {
    const [target, protocol = 'tcp'] = scalarText(entry).split('/');
    exposed[`${target}/${protocol}`] = {};
  }
  return {
    exposed: Object.keys(exposed).length ? exposed : undefined,
    bindings: Object.keys(bindings).length ? bindings : undefined,
  };
}

function restartPolicy(restart: unknown): { Name: string; MaximumRetryCount?: number } | undefined {
  if (restart === undefined || restart === 'no') return undefined;
  const [name, retries] = scalarText(restart).split(':');
  return retries === undefined ? { Name: name! } : { Name: name!, MaximumRetryCount: Number(retries) };
}

function deviceRequests(spec: ServiceSpec): DeviceRequest[] | undefined {
  const devices = (spec.deploy?.resources?.reservations?.devices ?? []) as DeviceSpec[];
  if (devices.length === 0) return undefined;
  return devices.map((device) =>
    prune({
      Driver: device.driver,
      Count: device.count === 'all' ? -1 : device.count,
      DeviceIDs: device.device_ids,
      Capabilities: [device.capabilities ?? ['gpu']],
      Options: device.options,
    }),
  );
}

function commandOf(command: unknown): string[] | undefined {
  if (command === undefined || command === null) return undefined;
  if (Array.isArray(command)) return command.map(scalarText);
  return parseShell(scalarText(command)).map((part) =>
    typeof part === 'string' ? part : 'op' in part ? part.op : scalarText(part),
  );
}

/** env_file entries first, then `environment`, which wins: the Compose order. */
function environmentOf(
  name: string,
  spec: ServiceSpec,
  envFiles: ReadonlyMap<string, Record<string, string>>,
): string[] | undefined {
  const values: Record<string, string> = {};
  for (const { path, required } of envFileEntries(spec)) {
    const file = envFiles.get(path);
    if (!file && required) {
      throw new InputError(`Service "${name}" names the env file ${path}, which does not exist.`, {
        location: { file: path },
        hint: 'Create the file, or write the entry as { path: ..., required: false }.',
      });
    }
    Object.assign(values, file ?? {});
  }
  for (const [key, value] of Object.entries(asMapping(spec.environment, 'environment'))) {
    if (value !== null && value !== undefined) values[key] = scalarText(value);
  }
  const entries = Object.entries(values);
  return entries.length ? entries.map(([key, value]) => `${key}=${value}`) : undefined;
}

/** A service's env_file entries in long form. */
export function envFileEntries(spec: ServiceSpec): Array<{ path: string; required: boolean }> {
  const files = spec.env_file === undefined ? [] : Array.isArray(spec.env_file) ? spec.env_file : [spec.env_file];
  return files.map((file) =>
    typeof file === 'string' ? { path: file, required: true } : { path: file.path, required: file.required ?? true },
  );
}

function healthcheckOf(healthcheck: HealthcheckSpec | undefined): ContainerCreateBody['Healthcheck'] {
  if (!healthcheck) return undefined;
  if (healthcheck.disable) return { Test: ['NONE'] };
  const test = typeof healthcheck.test === 'string' ? ['CMD-SHELL', healthcheck.test] : healthcheck.test;
  const ns = (value: unknown) => (value === undefined ? undefined : parseDurationNs(value as string));
  return prune({
    Test: test,
    Interval: ns(healthcheck.interval),
    Timeout: ns(healthcheck.timeout),
    Retries: healthcheck.retries,
    StartPeriod: ns(healthcheck.start_period),
  });
}

function prune<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
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
