import type { ContainerCreateBody } from '../engine/engine.js';
import type {
  HealthcheckModel,
  KernelModel,
  LongVolumeModel,
  NetworkModel,
  ProcessModel,
  ResourceModel,
  ServiceModel,
  StorageModel,
} from '../compose/service-model.js';
import { formatShortVolume } from '../compose/volumes.js';

type HostConfig = NonNullable<ContainerCreateBody['HostConfig']>;

/**
 * A service's resolved model (reconcile/desired.ts resolved its names) as the Engine API's container create
 * body: every applied key of compose/service-keys.ts, where the table's engine column says it lands.
 */
export function createBody(model: ServiceModel, image: string, labels: Record<string, string>): ContainerCreateBody {
  const first = model.network.networks[0];
  return prune({
    Image: image,
    ...processFields(model.process),
    ExposedPorts: exposedPorts(model.network),
    Labels: labels,
    HostConfig: prune({
      ...storageFields(model.storage),
      PortBindings: portBindings(model.network),
      RestartPolicy: model.process.restart && restartPolicy(model.process.restart),
      ...resourceFields(model.resources),
      ...kernelFields(model.kernel),
      ...hostNetworkFields(model.network),
      Init: model.process.init,
      ReadonlyRootfs: model.process.readOnly,
      NetworkMode: model.network.networkMode ?? first?.key,
    }) as HostConfig,
    NetworkingConfig: first ? { EndpointsConfig: { [first.key]: { Aliases: first.aliases } } } : undefined,
  });
}

/** `environment` as the Engine API's NAME=value lines (a container's Env, a swarm task's too). */
export function envLines(environment: Record<string, string>): string[] | undefined {
  const entries = Object.entries(environment);
  return entries.length ? entries.map(([key, value]) => `${key}=${value}`) : undefined;
}

/** The Engine API's HealthConfig, which a swarm task's ContainerSpec takes as it is. */
export function healthConfig(health: HealthcheckModel | undefined) {
  return (
    health &&
    prune({
      Test: health.test,
      Interval: health.intervalNs,
      Timeout: health.timeoutNs,
      Retries: health.retries,
      StartPeriod: health.startPeriodNs,
    })
  );
}

function processFields(process: ProcessModel) {
  return {
    Cmd: process.command,
    Entrypoint: process.entrypoint,
    Env: envLines(process.environment),
    WorkingDir: process.workingDir,
    User: process.user,
    Hostname: process.hostname,
    Domainname: process.domainname,
    Tty: process.tty,
    OpenStdin: process.stdinOpen,
    StopSignal: process.stopSignal,
    StopTimeout: process.stopGracePeriodNs === undefined ? undefined : Math.round(process.stopGracePeriodNs / 1e9),
    Healthcheck: healthConfig(process.healthcheck),
  };
}

function restartPolicy(restart: NonNullable<ProcessModel['restart']>) {
  return restart.maxRetries === undefined
    ? { Name: restart.name }
    : { Name: restart.name, MaximumRetryCount: restart.maxRetries };
}

function exposedPorts(network: NetworkModel): Record<string, object> | undefined {
  const keys = [...network.ports.map((port) => `${port.target}/${port.protocol}`), ...network.expose];
  return keys.length ? Object.fromEntries(keys.map((key) => [key, {}])) : undefined;
}

function portBindings(network: NetworkModel) {
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const port of network.ports)
    (bindings[`${port.target}/${port.protocol}`] ??= []).push({
      HostIp: port.hostIp ?? '',
      HostPort: port.published ?? '',
    });
  return Object.keys(bindings).length ? bindings : undefined;
}

/** Short entries with a source are binds as written (their mode: ro, z, propagation); the rest are mounts. */
function storageFields(storage: StorageModel) {
  const binds: string[] = [];
  const mounts: Array<Record<string, unknown>> = [];
  for (const volume of storage.volumes) {
    if (volume.syntax === 'long') mounts.push(longMount(volume));
    else if (volume.source === undefined) mounts.push({ Type: 'volume', Target: volume.target });
    else binds.push(formatShortVolume(volume));
  }
  return {
    Binds: binds.length ? binds : undefined,
    Mounts: mounts.length ? mounts : undefined,
    Tmpfs: storage.tmpfs,
    ShmSize: storage.shmSizeBytes,
  };
}

export function longMount(volume: LongVolumeModel): Record<string, unknown> {
  const tmpfs = volume.tmpfsSizeBytes !== undefined || volume.tmpfsMode !== undefined;
  return prune({
    Type: volume.type,
    Source: volume.source,
    Target: volume.target,
    ReadOnly: volume.readOnly,
    BindOptions: volume.bindPropagation === undefined ? undefined : { Propagation: volume.bindPropagation },
    VolumeOptions: volume.noCopy === undefined ? undefined : { NoCopy: volume.noCopy },
    TmpfsOptions: tmpfs ? prune({ SizeBytes: volume.tmpfsSizeBytes, Mode: volume.tmpfsMode }) : undefined,
  });
}

function resourceFields(resources: ResourceModel) {
  return {
    DeviceRequests: resources.gpus?.map((gpu) =>
      prune({
        Driver: gpu.driver,
        Count: gpu.count === 'all' ? -1 : gpu.count,
        DeviceIDs: gpu.deviceIds,
        Capabilities: [gpu.capabilities],
        Options: gpu.options,
      }),
    ),
    Devices: resources.devices?.map(({ source, target, permissions }) => ({
      PathOnHost: source,
      PathInContainer: target,
      CgroupPermissions: permissions,
    })),
    DeviceCgroupRules: resources.deviceCgroupRules,
    Memory: resources.memoryBytes,
    MemoryReservation: resources.memoryReservationBytes,
    MemorySwap: resources.memorySwapBytes,
    MemorySwappiness: resources.memorySwappiness,
    NanoCpus: resources.nanoCpus,
    CpuShares: resources.cpuShares,
    CpuQuota: resources.cpuQuota,
    CpuPeriod: resources.cpuPeriod,
    CpusetCpus: resources.cpuset,
    PidsLimit: resources.pids,
    OomKillDisable: resources.oomKillDisable,
    OomScoreAdj: resources.oomScoreAdj,
    Ulimits: resources.ulimits?.map(({ name, soft, hard }) => ({ Name: name, Soft: soft, Hard: hard })),
  };
}

function kernelFields(kernel: KernelModel) {
  return {
    CapAdd: kernel.capAdd,
    CapDrop: kernel.capDrop,
    Privileged: kernel.privileged,
    Sysctls: kernel.sysctls,
    GroupAdd: kernel.groupAdd,
    SecurityOpt: kernel.securityOpt,
    StorageOpt: kernel.storageOpt,
    IpcMode: kernel.ipc,
    PidMode: kernel.pid,
    UTSMode: kernel.uts,
    UsernsMode: kernel.usernsMode,
    CgroupnsMode: kernel.cgroup,
    CgroupParent: kernel.cgroupParent,
    Runtime: kernel.runtime,
    LogConfig: kernel.logging && { Type: kernel.logging.driver, Config: kernel.logging.options },
  };
}

function hostNetworkFields(network: NetworkModel) {
  return {
    ExtraHosts: network.extraHosts?.map(({ host, address }) => `${host}:${address}`),
    Dns: network.dns,
    DnsOptions: network.dnsOptions,
    DnsSearch: network.dnsSearch,
  };
}

export function prune<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
