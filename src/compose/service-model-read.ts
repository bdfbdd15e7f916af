import type { PortSpec, ServiceSpec, VolumeMount } from './compose-types.js';
import { asMapping } from './merge.js';
import { normalizePort } from './ports.js';
import { scalarText } from './scalar.js';
import { commandWords, deviceEntries, envFileEntries, listValue, ulimitEntries } from './short-syntax.js';
import { parseShortVolume } from './volumes.js';
import { parseBytes, parseDurationNs } from '../util/units.js';
import type {
  BuildModel,
  DependencyCondition,
  GpuReservationModel,
  HealthcheckModel,
  KernelModel,
  NetworkModel,
  ProcessModel,
  ResourceModel,
  ServiceModel,
  StorageModel,
  VolumeModel,
} from './service-model.js';

/** A merged, checked Compose service in its long form (service-model.ts): every short syntax read here. */
export function serviceModel(spec: ServiceSpec): ServiceModel {
  return {
    image: spec.image,
    build: buildOf(spec.build),
    labels: stringValues(asMapping(spec.labels, 'labels')),
    process: processOf(spec),
    network: networkOf(spec),
    storage: storageOf(spec),
    resources: resourcesOf(spec),
    kernel: kernelOf(spec),
    dependsOn: Object.entries(asMapping(spec.depends_on, 'depends_on')).map(([service, value]) => ({
      service,
      condition: (value as { condition?: DependencyCondition } | null)?.condition ?? 'service_started',
    })),
  };
}

function buildOf(build: ServiceSpec['build']): BuildModel | undefined {
  if (build === undefined) return undefined;
  const spec = typeof build === 'string' ? { context: build } : build;
  return {
    context: scalarText(spec.context ?? '.'),
    dockerfile: optionalText(spec.dockerfile),
    target: optionalText(spec.target),
    args: stringValues(asMapping(spec.args, 'args')),
  };
}

function processOf(spec: ServiceSpec): ProcessModel {
  const environment = Object.entries(asMapping(spec.environment, 'environment')).filter(
    ([, value]) => value !== null && value !== undefined,
  );
  return {
    command: commandWords(spec.command),
    entrypoint: commandWords(spec.entrypoint),
    environment: stringValues(Object.fromEntries(environment)),
    envFiles: envFileEntries(spec),
    workingDir: spec.working_dir,
    user: spec.user,
    hostname: spec.hostname,
    domainname: spec.domainname,
    tty: spec.tty,
    stdinOpen: spec.stdin_open,
    stopSignal: spec.stop_signal,
    stopGracePeriodNs: durationNs(spec.stop_grace_period),
    healthcheck: healthcheckOf(spec.healthcheck),
    init: spec.init,
    readOnly: spec.read_only,
    restart: restartOf(spec.restart),
  };
}

function healthcheckOf(healthcheck: Record<string, unknown> | undefined): HealthcheckModel | undefined {
  if (!healthcheck) return undefined;
  const test = healthcheck.disable
    ? ['NONE']
    : typeof healthcheck.test === 'string'
      ? ['CMD-SHELL', healthcheck.test]
      : (healthcheck.test as string[] | undefined);
  if (healthcheck.disable)
    return { test, intervalNs: undefined, timeoutNs: undefined, retries: undefined, startPeriodNs: undefined };
  return {
    test,
    intervalNs: durationNs(healthcheck.interval),
    timeoutNs: durationNs(healthcheck.timeout),
    retries: healthcheck.retries as number | undefined,
    startPeriodNs: durationNs(healthcheck.start_period),
  };
}

function restartOf(restart: unknown): ProcessModel['restart'] {
  if (restart === undefined || restart === 'no') return undefined;
  const [name, retries] = scalarText(restart).split(':');
  return { name: name!, maxRetries: retries === undefined ? undefined : Number(retries) };
}

function networkOf(spec: ServiceSpec): NetworkModel {
  return {
    ports: (spec.ports ?? []).map((entry) => {
      const port = normalizePort(entry) as PortSpec;
      return {
        target: port.target,
        protocol: port.protocol ?? 'tcp',
        published: port.published === undefined ? undefined : scalarText(port.published),
        hostIp: port.host_ip,
      };
    }),
    expose: ((spec.expose as unknown[] | undefined) ?? []).map((entry) => {
      const [target, protocol = 'tcp'] = scalarText(entry).split('/');
      return `${target}/${protocol}`;
    }),
    networks: Object.entries(asMapping(spec.networks, 'networks')).map(([key, value]) => ({
      key,
      aliases: ((value as { aliases?: string[] } | null)?.aliases ?? []).map(String),
    })),
    networkMode: spec.network_mode,
    extraHosts:
      spec.extra_hosts === undefined
        ? undefined
        : Object.entries(asMapping(spec.extra_hosts, 'extra_hosts')).map(([host, address]) => ({
            host,
            address: scalarText(address),
          })),
    dns: listValue(spec.dns),
    dnsOptions: spec.dns_opt,
    dnsSearch: listValue(spec.dns_search),
  };
}

function storageOf(spec: ServiceSpec): StorageModel {
  return {
    volumes: (spec.volumes ?? []).map(volumeOf),
    tmpfs: tmpfsOf(spec.tmpfs),
    shmSizeBytes: bytes(spec.shm_size),
  };
}

function volumeOf(volume: string | VolumeMount): VolumeModel {
  if (typeof volume === 'string') return { syntax: 'short', ...parseShortVolume(volume) };
  const bind = volume.bind as { propagation?: string } | undefined;
  const named = volume.volume as { nocopy?: boolean } | undefined;
  const tmpfs = volume.tmpfs as { size?: string | number; mode?: number } | undefined;
  return {
    syntax: 'long',
    type: volume.type ?? 'volume',
    source: volume.source,
    target: volume.target,
    readOnly: volume.read_only as boolean | undefined,
    bindPropagation: bind?.propagation,
    noCopy: named?.nocopy,
    tmpfsSizeBytes: bytes(tmpfs?.size),
    tmpfsMode: tmpfs?.mode,
  };
}

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

type Resources = { limits?: Record<string, unknown>; reservations?: Record<string, unknown> };

function resourcesOf(spec: ServiceSpec): ResourceModel {
  const { limits = {}, reservations = {} } = (spec.deploy?.resources ?? {}) as Resources;
  const cpus = limits.cpus ?? spec.cpus;
  return {
    nanoCpus: cpus === undefined ? undefined : Math.round(Number(cpus) * 1e9),
    memoryBytes: bytes(limits.memory ?? spec.mem_limit),
    memoryReservationBytes: bytes(reservations.memory ?? spec.mem_reservation),
    memorySwapBytes: spec.memswap_limit === -1 || spec.memswap_limit === '-1' ? -1 : bytes(spec.memswap_limit),
    memorySwappiness: spec.mem_swappiness,
    cpuShares: reservations.cpus === undefined ? spec.cpu_shares : Math.round(Number(reservations.cpus) * 1024),
    cpuQuota: spec.cpu_quota,
    cpuPeriod: spec.cpu_period,
    cpuset: spec.cpuset,
    pids: (limits.pids as number | undefined) ?? spec.pids_limit,
    oomKillDisable: spec.oom_kill_disable,
    oomScoreAdj: spec.oom_score_adj,
    ulimits: ulimitEntries(spec.ulimits),
    devices: deviceEntries(spec.devices),
    deviceCgroupRules: spec.device_cgroup_rules,
    gpus: gpusOf(reservations.devices),
  };
}

type DeviceSpec = {
  driver?: string;
  count?: number | 'all';
  device_ids?: string[];
  capabilities?: string[];
  options?: Record<string, string>;
};

function gpusOf(devices: unknown): GpuReservationModel[] | undefined {
  const list = (devices ?? []) as DeviceSpec[];
  if (list.length === 0) return undefined;
  return list.map((device) => ({
    driver: device.driver,
    count: device.count,
    deviceIds: device.device_ids,
    capabilities: device.capabilities ?? ['gpu'],
    options: device.options,
  }));
}

function kernelOf(spec: ServiceSpec): KernelModel {
  const logging = spec.logging as { driver?: string; options?: Record<string, unknown> } | undefined;
  return {
    capAdd: spec.cap_add,
    capDrop: spec.cap_drop,
    privileged: spec.privileged,
    sysctls: spec.sysctls === undefined ? undefined : stringValues(asMapping(spec.sysctls, 'sysctls')),
    groupAdd: (spec.group_add as unknown[] | undefined)?.map(String),
    securityOpt: spec.security_opt,
    storageOpt: spec.storage_opt,
    ipc: spec.ipc,
    pid: spec.pid,
    uts: spec.uts,
    usernsMode: spec.userns_mode,
    cgroup: spec.cgroup,
    cgroupParent: spec.cgroup_parent,
    runtime: spec.runtime,
    logging: logging && { driver: logging.driver ?? '', options: stringValues(logging.options ?? {}) },
  };
}

function stringValues(mapping: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(mapping).map(([key, value]) => [key, scalarText(value ?? '')]));
}

function optionalText(value: unknown): string | undefined {
  return value === undefined ? undefined : scalarText(value);
}

function bytes(value: unknown): number | undefined {
  return value === undefined ? undefined : parseBytes(value as string | number);
}

function durationNs(value: unknown): number | undefined {
  return value === undefined ? undefined : parseDurationNs(value as string | number);
}
