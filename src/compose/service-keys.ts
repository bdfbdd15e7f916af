/**
 * Every service key of the Compose Specification, and what each kind of target does with it: applied (and
 * where it lands) or refused (and why), on one engine and on a swarm. The merge stage checks each project
 * against the column of its target, so `render --check` and `up` always agree, nothing a user writes is
 * silently dropped, and the swarm's translation (reconcile/swarm-desired.ts) carries exactly what its column
 * applies. The README's table is generated from this one (keyTableMarkdown) and checked by a test.
 */
export type KeyRule = AppliedKey | RefusedKey;

/** The columns of the table: one Docker Engine, a swarm's services, or a Slurm cluster's jobs (slurm-keys.ts). */
export type KeyTarget = 'engine' | 'swarm' | 'slurm';

/** What one target does with a key. */
export type Verdict = { kind: 'applied'; where: string } | RefusedKey;

export interface AppliedKey {
  kind: 'applied';
  /** Where it lands in the Engine API's create body (or which step of up honours it). */
  engine: string;
  /**
   * What a swarm does with it: where it lands in the service spec, or why it is refused. Every top-level
   * row says it; a sub-key without it does on a swarm what it does on one engine.
   */
  swarm?: Verdict;
  /** Sub-keys of a mapping value (deploy, build, healthcheck, logging). */
  keys?: KeyTable;
  /** Keys of each entry of a list, or of each value of a mapping keyed by user names (depends_on, ulimits). */
  entries?: KeyTable;
}

export interface RefusedKey {
  kind: 'refused';
  why: string;
  /** The Compose default, which has no effect and so is accepted. */
  accepts?: (value: unknown) => boolean;
  /** A swarm's own verdict, where it differs (a Swarm setting is applied there, or refused for its own reason). */
  swarm?: Verdict;
}

export type KeyTable = Readonly<Record<string, KeyRule>>;

export const applied = (engine: string, more: Omit<AppliedKey, 'kind' | 'engine'> = {}): AppliedKey => ({
  kind: 'applied',
  engine,
  ...more,
});
export const refused = (why: string, accepts?: (value: unknown) => boolean, swarm?: Verdict): RefusedKey => ({
  kind: 'refused',
  why,
  ...(accepts ? { accepts } : {}),
  ...(swarm ? { swarm } : {}),
});

/** Applied on a swarm: where it lands in the service spec. */
const carried = (where: string): Verdict => ({ kind: 'applied', where });
/** Refused on a swarm only. */
const notOnSwarm = (why: string, accepts?: (value: unknown) => boolean): Verdict => refused(why, accepts);

const SWARM = 'a Docker Swarm setting, with no effect on a single engine';
const WINDOWS = 'for Windows containers only';
const NEWER = 'needs a newer Docker Engine API than envctl speaks (1.41)';
const UNCARRIED = "envctl does not carry it into a swarm service's spec; run the project on one engine";
const SPEC = 'TaskTemplate.ContainerSpec';

const VOLUME_ENTRY: KeyTable = {
  type: applied('HostConfig.Mounts[].Type'),
  source: applied('HostConfig.Mounts[].Source'),
  target: applied('HostConfig.Mounts[].Target'),
  read_only: applied('HostConfig.Mounts[].ReadOnly'),
  bind: applied('HostConfig.Mounts[].BindOptions', {
    keys: {
      propagation: applied('HostConfig.Mounts[].BindOptions.Propagation'),
      create_host_path: refused(
        'envctl does not create host folders for you: create the folder first',
        (value) => value === true,
      ),
      selinux: refused('an SELinux relabel is not applied; use the short syntax with :z or :Z'),
      recursive: refused(NEWER),
    },
  }),
  volume: applied('HostConfig.Mounts[].VolumeOptions', {
    keys: { nocopy: applied('HostConfig.Mounts[].VolumeOptions.NoCopy'), subpath: refused(NEWER) },
  }),
  tmpfs: applied('HostConfig.Mounts[].TmpfsOptions', {
    keys: {
      size: applied('HostConfig.Mounts[].TmpfsOptions.SizeBytes'),
      mode: applied('HostConfig.Mounts[].TmpfsOptions.Mode'),
    },
  }),
  image: refused(NEWER),
  consistency: refused('macOS only; it has no effect on Linux'),
};

const DEVICE_RESERVATION: KeyTable = {
  // A swarm reserves GPUs as NVIDIA-GPU generic resources: what envctl renders from gpus: is all it takes.
  driver: applied('HostConfig.DeviceRequests[].Driver', {
    swarm: notOnSwarm('a swarm reserves NVIDIA-GPU generic resources only', (value) => value === 'nvidia'),
  }),
  count: applied('HostConfig.DeviceRequests[].Count'),
  device_ids: applied('HostConfig.DeviceRequests[].DeviceIDs', {
    swarm: notOnSwarm('a swarm hands out GPUs by count only: write gpus: <count> in envctl.yml'),
  }),
  capabilities: applied('HostConfig.DeviceRequests[].Capabilities', {
    swarm: notOnSwarm('a swarm reserves GPUs with the gpu capability only', (value) => String(value) === 'gpu'),
  }),
  options: applied('HostConfig.DeviceRequests[].Options', {
    swarm: notOnSwarm('a generic resource of a swarm takes no driver options'),
  }),
};

const RESOURCES: KeyTable = {
  limits: applied('HostConfig', {
    keys: {
      cpus: applied('HostConfig.NanoCpus'),
      memory: applied('HostConfig.Memory'),
      pids: applied('HostConfig.PidsLimit'),
    },
  }),
  reservations: applied('HostConfig', {
    keys: {
      // One engine reserves no CPU; its weight under contention is what a reservation means there
      // (as Kubernetes maps requests).
      cpus: applied('HostConfig.CpuShares (1024 a CPU)', { swarm: notOnSwarm(UNCARRIED) }),
      memory: applied('HostConfig.MemoryReservation'),
      devices: applied('HostConfig.DeviceRequests', { entries: DEVICE_RESERVATION }),
      generic_resources: refused(
        SWARM,
        undefined,
        notOnSwarm("ask for GPUs with gpus: in envctl.yml, which envctl reserves as the nodes' NVIDIA-GPU resources"),
      ),
    },
  }),
};

const DEPLOY: KeyTable = {
  resources: applied('HostConfig', { keys: RESOURCES }),
  replicas: refused('envctl runs one container a service', (value) => Number(value) === 1),
  mode: refused(
    SWARM,
    (value) => value === 'replicated',
    notOnSwarm('envctl runs one replica of each service', (value) => value === 'replicated'),
  ),
  endpoint_mode: refused(
    SWARM,
    undefined,
    notOnSwarm('envctl uses DNS round robin: a virtual IP needs IPVS', (value) => value === 'dnsrr'),
  ),
  labels: refused("labels of a Swarm service; use the service's own labels"),
  placement: refused(
    SWARM,
    undefined,
    notOnSwarm("write placement: in the project's envctl.yml, which envctl checks against the nodes' GPUs"),
  ),
  restart_policy: refused("use the service's restart key"),
  update_config: refused(SWARM, undefined, notOnSwarm('not applied: envctl replaces the one task of a service')),
  rollback_config: refused(SWARM, undefined, notOnSwarm('not applied: envctl replaces the one task of a service')),
};

/** The Compose Specification's service keys (schema/compose-spec.json), each applied or refused. */
export const SERVICE_KEYS: KeyTable = {
  annotations: refused(NEWER),
  attach: refused('envctl follows the logs of every service in the foreground'),
  blkio_config: refused('block I/O weights are not applied'),
  build: applied('image build', {
    swarm: carried(
      "built on the manager's engine, copied to each node that may run it and lacks it (over SSH), run by its id",
    ),
    keys: {
      context: applied('build context'),
      dockerfile: applied('build dockerfile'),
      args: applied('build args'),
      target: applied('build target'),
      additional_contexts: refused('needs BuildKit'),
      cache_from: refused('not applied by the classic builder envctl uses'),
      cache_to: refused('needs BuildKit'),
      dockerfile_inline: refused('write the Dockerfile to a file'),
      entitlements: refused('needs BuildKit'),
      extra_hosts: refused('not applied to builds'),
      isolation: refused(WINDOWS),
      labels: refused('not applied to images; envctl labels them itself'),
      network: refused("builds use the engine's default network"),
      no_cache: refused('not applied; use envctl up --build'),
      platforms: refused('needs BuildKit'),
      privileged: refused('needs BuildKit'),
      provenance: refused('needs BuildKit'),
      pull: refused('not applied'),
      sbom: refused('needs BuildKit'),
      secrets: refused('needs BuildKit'),
      shm_size: refused('not applied to builds'),
      ssh: refused('needs BuildKit'),
      tags: refused("envctl tags the image with the service's image name"),
      ulimits: refused('not applied to builds'),
    },
  }),
  cap_add: applied('HostConfig.CapAdd', { swarm: carried(`${SPEC}.CapabilityAdd`) }),
  cap_drop: applied('HostConfig.CapDrop', { swarm: carried(`${SPEC}.CapabilityDrop`) }),
  cgroup: applied('HostConfig.CgroupnsMode', { swarm: notOnSwarm(UNCARRIED) }),
  cgroup_parent: applied('HostConfig.CgroupParent', { swarm: notOnSwarm(UNCARRIED) }),
  command: applied('Cmd', { swarm: carried(`${SPEC}.Args`) }),
  configs: refused('not applied: mount the file with volumes instead'),
  container_name: refused('envctl names containers <workspace>-<project>-<service>-1, so projects never clash'),
  cpu_count: refused(WINDOWS),
  cpu_percent: refused(WINDOWS),
  cpu_shares: applied('HostConfig.CpuShares', { swarm: notOnSwarm(UNCARRIED) }),
  cpu_quota: applied('HostConfig.CpuQuota', { swarm: notOnSwarm(UNCARRIED) }),
  cpu_period: applied('HostConfig.CpuPeriod', { swarm: notOnSwarm(UNCARRIED) }),
  cpu_rt_period: refused('real-time scheduling is not applied'),
  cpu_rt_runtime: refused('real-time scheduling is not applied'),
  cpus: applied('HostConfig.NanoCpus', { swarm: carried('TaskTemplate.Resources.Limits.NanoCPUs') }),
  cpuset: applied('HostConfig.CpusetCpus', { swarm: notOnSwarm(UNCARRIED) }),
  credential_spec: refused(WINDOWS),
  depends_on: applied('start order, and up waits for the condition', {
    swarm: notOnSwarm(
      'a swarm starts services together and orders none of them (docker stack deploy ignores it too): let the service wait for what it needs',
    ),
    entries: {
      condition: applied('up waits for service_started, service_healthy or service_completed_successfully'),
      restart: refused('restarting dependents is not applied', (value) => value === false),
      required: refused('every dependency is required', (value) => value === true),
    },
  }),
  deploy: applied('HostConfig', { swarm: carried('TaskTemplate.Resources'), keys: DEPLOY }),
  develop: refused("Compose Watch is not applied; envctl up --watch follows the project's files"),
  device_cgroup_rules: applied('HostConfig.DeviceCgroupRules', { swarm: notOnSwarm(UNCARRIED) }),
  devices: applied('HostConfig.Devices', {
    swarm: notOnSwarm(UNCARRIED),
    entries: {
      source: applied('PathOnHost'),
      target: applied('PathInContainer'),
      permissions: applied('CgroupPermissions'),
    },
  }),
  dns: applied('HostConfig.Dns', { swarm: notOnSwarm(UNCARRIED) }),
  dns_opt: applied('HostConfig.DnsOptions', { swarm: notOnSwarm(UNCARRIED) }),
  dns_search: applied('HostConfig.DnsSearch', { swarm: notOnSwarm(UNCARRIED) }),
  domainname: applied('Domainname', { swarm: notOnSwarm(UNCARRIED) }),
  entrypoint: applied('Entrypoint', { swarm: carried(`${SPEC}.Command`) }),
  env_file: applied('Env', {
    swarm: carried(`${SPEC}.Env`),
    entries: {
      path: applied('Env'),
      required: applied('Env'),
      format: refused('only the default env file format is read'),
    },
  }),
  environment: applied('Env', { swarm: carried(`${SPEC}.Env`) }),
  expose: applied('ExposedPorts', {
    swarm: carried('nothing to set: tasks reach every port of each other on the overlay networks'),
  }),
  extends: refused("not applied: put shared settings in the template, or in the project's compose.yml"),
  external_links: refused('projects reach each other as <project>-<service> on the workspace network'),
  extra_hosts: applied('HostConfig.ExtraHosts', { swarm: carried(`${SPEC}.Hosts`) }),
  gpus: refused('ask for GPUs with "gpus:" in the project\'s envctl.yml, which envctl allocates'),
  group_add: applied('HostConfig.GroupAdd', { swarm: notOnSwarm(UNCARRIED) }),
  healthcheck: applied('Healthcheck', {
    swarm: carried(`${SPEC}.Healthcheck`),
    keys: {
      test: applied('Healthcheck.Test'),
      interval: applied('Healthcheck.Interval'),
      timeout: applied('Healthcheck.Timeout'),
      retries: applied('Healthcheck.Retries'),
      start_period: applied('Healthcheck.StartPeriod'),
      disable: applied('Healthcheck.Test NONE'),
      start_interval: refused(NEWER),
    },
  }),
  hostname: applied('Hostname', { swarm: carried(`${SPEC}.Hostname`) }),
  image: applied('Image', { swarm: carried(`${SPEC}.Image`) }),
  init: applied('HostConfig.Init', { swarm: carried(`${SPEC}.Init`) }),
  ipc: applied('HostConfig.IpcMode', { swarm: notOnSwarm(UNCARRIED) }),
  isolation: refused(WINDOWS),
  label_file: refused('write the labels in the file itself'),
  labels: applied('Labels', { swarm: carried('Labels and TaskTemplate.ContainerSpec.Labels') }),
  links: refused("services reach each other by name on their project's network"),
  logging: applied('HostConfig.LogConfig', {
    swarm: notOnSwarm(UNCARRIED),
    keys: { driver: applied('HostConfig.LogConfig.Type'), options: applied('HostConfig.LogConfig.Config') },
  }),
  mac_address: refused('not applied'),
  mem_limit: applied('HostConfig.Memory', { swarm: carried('TaskTemplate.Resources.Limits.MemoryBytes') }),
  mem_reservation: applied('HostConfig.MemoryReservation', {
    swarm: carried('TaskTemplate.Resources.Reservations.MemoryBytes'),
  }),
  mem_swappiness: applied('HostConfig.MemorySwappiness', { swarm: notOnSwarm(UNCARRIED) }),
  memswap_limit: applied('HostConfig.MemorySwap', { swarm: notOnSwarm(UNCARRIED) }),
  models: refused('Docker Model Runner is not applied'),
  network_mode: applied('HostConfig.NetworkMode (none, host, or service:<a service of the same project>)', {
    swarm: notOnSwarm(
      "a swarm service joins its overlay networks: it cannot share the host's network or another container's",
    ),
  }),
  networks: applied('NetworkingConfig', {
    swarm: carried('TaskTemplate.Networks'),
    entries: {
      aliases: applied('NetworkingConfig.EndpointsConfig[].Aliases'),
      ipv4_address: refused("envctl allocates the subnets; addresses are the engine's"),
      ipv6_address: refused("envctl allocates the subnets; addresses are the engine's"),
      link_local_ips: refused('not applied'),
      mac_address: refused('not applied'),
      driver_opts: refused('not applied'),
      priority: refused('not applied'),
      gw_priority: refused(NEWER),
      interface_name: refused(NEWER),
    },
  }),
  oom_kill_disable: applied('HostConfig.OomKillDisable', { swarm: notOnSwarm(UNCARRIED) }),
  oom_score_adj: applied('HostConfig.OomScoreAdj', { swarm: notOnSwarm(UNCARRIED) }),
  pid: applied('HostConfig.PidMode', { swarm: notOnSwarm(UNCARRIED) }),
  pids_limit: applied('HostConfig.PidsLimit', { swarm: carried('TaskTemplate.Resources.Limits.Pids') }),
  platform: refused("envctl builds and runs images for the engine's own platform"),
  ports: applied('HostConfig.PortBindings', {
    swarm: carried('EndpointSpec.Ports, in host mode on the node of the task'),
    entries: {
      target: applied('HostConfig.PortBindings'),
      published: applied('HostConfig.PortBindings[].HostPort'),
      host_ip: applied('HostConfig.PortBindings[].HostIp', {
        swarm: carried('not bound: host mode publishes on every address of the node, and envctl says so'),
      }),
      protocol: applied('HostConfig.PortBindings'),
      mode: refused(
        SWARM,
        (value) => value === 'host',
        notOnSwarm('envctl publishes in host mode: the routing mesh needs IPVS', (value) => value === 'host'),
      ),
      name: refused("port names are envctl.yml's (the template's named ports)"),
      app_protocol: refused('informational only: it has no effect on the engine'),
    },
  }),
  post_start: refused(NEWER),
  pre_stop: refused(NEWER),
  privileged: applied('HostConfig.Privileged', { swarm: notOnSwarm(UNCARRIED) }),
  profiles: refused('which-project decides what runs'),
  provider: refused('not applied'),
  pull_policy: refused('envctl pulls an image only when the engine lacks it'),
  pull_refresh_after: refused('not applied'),
  read_only: applied('HostConfig.ReadonlyRootfs', { swarm: carried(`${SPEC}.ReadOnly`) }),
  restart: applied('HostConfig.RestartPolicy', {
    swarm: carried('TaskTemplate.RestartPolicy ("no" becomes on-failure)'),
  }),
  runtime: applied('HostConfig.Runtime', { swarm: notOnSwarm(UNCARRIED) }),
  scale: refused('envctl runs one container a service', (value) => Number(value) === 1),
  secrets: refused('not applied: pass secrets with env_file, or mount the file with volumes'),
  security_opt: applied('HostConfig.SecurityOpt', { swarm: notOnSwarm(UNCARRIED) }),
  shm_size: applied('HostConfig.ShmSize', { swarm: notOnSwarm(UNCARRIED) }),
  stdin_open: applied('OpenStdin', { swarm: carried(`${SPEC}.OpenStdin`) }),
  stop_grace_period: applied('StopTimeout', { swarm: carried(`${SPEC}.StopGracePeriod`) }),
  stop_signal: applied('StopSignal', { swarm: carried(`${SPEC}.StopSignal`) }),
  storage_opt: applied('HostConfig.StorageOpt', { swarm: notOnSwarm(UNCARRIED) }),
  sysctls: applied('HostConfig.Sysctls', { swarm: carried(`${SPEC}.Sysctls`) }),
  tmpfs: applied('HostConfig.Tmpfs', { swarm: notOnSwarm(UNCARRIED) }),
  tty: applied('Tty', { swarm: carried(`${SPEC}.TTY`) }),
  ulimits: applied('HostConfig.Ulimits', {
    swarm: notOnSwarm(UNCARRIED),
    entries: { soft: applied('HostConfig.Ulimits[].Soft'), hard: applied('HostConfig.Ulimits[].Hard') },
  }),
  use_api_socket: refused('not applied: mount /var/run/docker.sock with volumes if a service needs the engine'),
  user: applied('User', { swarm: carried(`${SPEC}.User`) }),
  userns_mode: applied('HostConfig.UsernsMode', { swarm: notOnSwarm(UNCARRIED) }),
  uts: applied('HostConfig.UTSMode', { swarm: notOnSwarm(UNCARRIED) }),
  volumes: applied('HostConfig.Binds and HostConfig.Mounts', {
    swarm: carried(`${SPEC}.Mounts`),
    entries: VOLUME_ENTRY,
  }),
  volumes_from: refused('mount a named volume in both services instead'),
  working_dir: applied('WorkingDir', { swarm: carried(`${SPEC}.Dir`) }),
};
