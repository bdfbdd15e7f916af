/**
 * A Compose service in its long form, typed: what every target's translation reads (the Engine API's create
 * body in reconcile/engine-body.ts, a swarm's service spec in reconcile/swarm-desired.ts), so that a short
 * syntax, a unit or a string-or-list is read once, here (service-model-read.ts), and never by a target.
 * Like `docker compose config`'s canonical form; keys a target refuses are the key table's to refuse.
 */
export interface ServiceModel {
  image: string | undefined;
  build: BuildModel | undefined;
  labels: Record<string, string>;
  process: ProcessModel;
  network: NetworkModel;
  storage: StorageModel;
  resources: ResourceModel;
  kernel: KernelModel;
  dependsOn: DependencyModel[];
}

export interface BuildModel {
  context: string;
  dockerfile: string | undefined;
  target: string | undefined;
  args: Record<string, string>;
}

export interface ProcessModel {
  command: string[] | undefined;
  entrypoint: string[] | undefined;
  /** The `environment` mapping, unset names (a bare `NAME`) left out. */
  environment: Record<string, string>;
  /** env_file entries, read before `environment`, which wins: the Compose order. */
  envFiles: Array<{ path: string; required: boolean }>;
  workingDir: string | undefined;
  user: string | undefined;
  hostname: string | undefined;
  domainname: string | undefined;
  tty: boolean | undefined;
  stdinOpen: boolean | undefined;
  stopSignal: string | undefined;
  stopGracePeriodNs: number | undefined;
  healthcheck: HealthcheckModel | undefined;
  init: boolean | undefined;
  readOnly: boolean | undefined;
  restart: RestartModel | undefined;
}

/** `disable: true` is `test: ["NONE"]`, as the Engine API says it. */
export interface HealthcheckModel {
  test: string[] | undefined;
  intervalNs: number | undefined;
  timeoutNs: number | undefined;
  retries: number | undefined;
  startPeriodNs: number | undefined;
}

/** `restart: on-failure:3`; "no" is no policy at all. */
export interface RestartModel {
  name: string;
  maxRetries: number | undefined;
}

export interface NetworkModel {
  ports: PortModel[];
  /** "80/tcp" */
  expose: string[];
  /** The networks the service joins (Compose's keys) with the aliases it answers to there. */
  networks: Array<{ key: string; aliases: string[] }>;
  networkMode: string | undefined;
  extraHosts: Array<{ host: string; address: string }> | undefined;
  dns: string[] | undefined;
  dnsOptions: string[] | undefined;
  dnsSearch: string[] | undefined;
}

export interface PortModel {
  target: number;
  protocol: string;
  /** The host port, as written or as envctl allocated it; absent: any free port. */
  published: string | undefined;
  hostIp: string | undefined;
}

export type VolumeModel = ShortVolumeModel | LongVolumeModel;

/** "source:target:mode": a bind or named volume the engine takes as written (its mode: ro, z, rslave…). */
export interface ShortVolumeModel {
  syntax: 'short';
  /** A named volume, or an absolute host path; absent for an anonymous volume. */
  source: string | undefined;
  target: string;
  mode: string | undefined;
}

export interface LongVolumeModel {
  syntax: 'long';
  type: string;
  source: string | undefined;
  target: string | undefined;
  readOnly: boolean | undefined;
  bindPropagation: string | undefined;
  noCopy: boolean | undefined;
  tmpfsSizeBytes: number | undefined;
  tmpfsMode: number | undefined;
}

export interface StorageModel {
  volumes: VolumeModel[];
  /** Path → mount options. */
  tmpfs: Record<string, string> | undefined;
  shmSizeBytes: number | undefined;
}

export interface ResourceModel {
  nanoCpus: number | undefined;
  memoryBytes: number | undefined;
  memoryReservationBytes: number | undefined;
  /** -1: unlimited swap. */
  memorySwapBytes: number | undefined;
  memorySwappiness: number | undefined;
  /** Compose's cpu_shares, or a CPU reservation as a weight (1024 a CPU). */
  cpuShares: number | undefined;
  cpuQuota: number | undefined;
  cpuPeriod: number | undefined;
  cpuset: string | undefined;
  pids: number | undefined;
  oomKillDisable: boolean | undefined;
  oomScoreAdj: number | undefined;
  ulimits: Array<{ name: string; soft: number; hard: number }> | undefined;
  devices: Array<{ source: string; target: string; permissions: string }> | undefined;
  deviceCgroupRules: string[] | undefined;
  /** deploy.resources.reservations.devices: GPUs. */
  gpus: GpuReservationModel[] | undefined;
}

export interface GpuReservationModel {
  driver: string | undefined;
  /** "all" is every GPU. */
  count: number | 'all' | undefined;
  deviceIds: string[] | undefined;
  capabilities: string[];
  options: Record<string, string> | undefined;
}

/** Settings of the container's kernel view and security: namespaces, capabilities, cgroups, logging. */
export interface KernelModel {
  capAdd: string[] | undefined;
  capDrop: string[] | undefined;
  privileged: boolean | undefined;
  sysctls: Record<string, string> | undefined;
  groupAdd: string[] | undefined;
  securityOpt: string[] | undefined;
  storageOpt: Record<string, string> | undefined;
  ipc: string | undefined;
  pid: string | undefined;
  uts: string | undefined;
  usernsMode: string | undefined;
  cgroup: string | undefined;
  cgroupParent: string | undefined;
  runtime: string | undefined;
  logging: { driver: string; options: Record<string, string> } | undefined;
}

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface DependencyModel {
  service: string;
  condition: DependencyCondition;
}
