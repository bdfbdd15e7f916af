/**
 * Every service key of the Compose Specification, and what envctl does with it: applied on the engine (and
 * where), or refused (and why). The merge stage checks each project against this table, so `render --check`
 * and `up` always agree, and nothing a user writes is silently dropped. The README's table is this one.
 */
export type KeyRule = AppliedKey | RefusedKey;

export interface AppliedKey {
  kind: 'applied';
  /** Where it lands in the Engine API's create body (or which step of up honours it). */
  engine: string;
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
}

export type KeyTable = Readonly<Record<string, KeyRule>>;

export const applied = (engine: string, more: Omit<AppliedKey, 'kind' | 'engine'> = {}): AppliedKey => ({
  kind: 'applied',
  engine,
  ...more,
});
export const refused = (why: string, accepts?: (value: unknown) => boolean): RefusedKey => ({
  kind: 'refused',
  why,
  ...(accepts ? { accepts } : {}),
});

const SWARM = 'a Docker Swarm setting, with no effect on a single engine';
const WINDOWS = 'for Windows containers only';
const NEWER = 'needs a newer Docker Engine API than envctl speaks (1.41)';

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
  driver: applied('HostConfig.DeviceRequests[].Driver'),
  count: applied('HostConfig.DeviceRequests[].Count'),
  device_ids: applied('HostConfig.DeviceRequests[].DeviceIDs'),
  capabilities: applied('HostConfig.DeviceRequests[].Capabilities'),
  options: applied('HostConfig.DeviceRequests[].Options'),
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
      cpus: applied('HostConfig.CpuShares (1024 a CPU)'),
      memory: applied('HostConfig.MemoryReservation'),
      devices: applied('HostConfig.DeviceRequests', { entries: DEVICE_RESERVATION }),
      generic_resources: refused(SWARM),
    },
  }),
};

const DEPLOY: KeyTable = {
  resources: applied('HostConfig', { keys: RESOURCES }),
  replicas: refused('envctl runs one container a service', (value) => Number(value) === 1),
  mode: refused(SWARM, (value) => value === 'replicated'),
  endpoint_mode: refused(SWARM),
  labels: refused("labels of a Swarm service; use the service's own labels"),
  placement: refused(SWARM),
  restart_policy: refused("use the service's restart key"),
  update_config: refused(SWARM),
  rollback_config: refused(SWARM),
};

/** The Compose Specification's service keys (schema/compose-spec.json), each applied or refused. */
export const SERVICE_KEYS: KeyTable = {
  annotations: refused(NEWER),
  attach: refused('envctl follows the logs of every service in the foreground'),
  blkio_config: refused('block I/O weights are not applied'),
  build: applied('image build', {
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
  cap_add: applied('HostConfig.CapAdd'),
  cap_drop: applied('HostConfig.CapDrop'),
  cgroup: applied('HostConfig.CgroupnsMode'),
  cgroup_parent: applied('HostConfig.CgroupParent'),
  command: applied('Cmd'),
  configs: refused('not applied: mount the file with volumes instead'),
  container_name: refused('envctl names containers <workspace>-<project>-<service>-1, so projects never clash'),
  cpu_count: refused(WINDOWS),
  cpu_percent: refused(WINDOWS),
  cpu_shares: applied('HostConfig.CpuShares'),
  cpu_quota: applied('HostConfig.CpuQuota'),
  cpu_period: applied('HostConfig.CpuPeriod'),
  cpu_rt_period: refused('real-time scheduling is not applied'),
  cpu_rt_runtime: refused('real-time scheduling is not applied'),
  cpus: applied('HostConfig.NanoCpus'),
  cpuset: applied('HostConfig.CpusetCpus'),
  credential_spec: refused(WINDOWS),
  depends_on: applied('start order, and up waits for the condition', {
    entries: {
      condition: applied('up waits for service_started, service_healthy or service_completed_successfully'),
      restart: refused('restarting dependents is not applied', (value) => value === false),
      required: refused('every dependency is required', (value) => value === true),
    },
  }),
  deploy: applied('HostConfig', { keys: DEPLOY }),
  develop: refused("Compose Watch is not applied; envctl up --watch follows the project's files"),
  device_cgroup_rules: applied('HostConfig.DeviceCgroupRules'),
  devices: applied('HostConfig.Devices', {
    entries: {
      source: applied('PathOnHost'),
      target: applied('PathInContainer'),
      permissions: applied('CgroupPermissions'),
    },
  }),
  dns: applied('HostConfig.Dns'),
  dns_opt: applied('HostConfig.DnsOptions'),
  dns_search: applied('HostConfig.DnsSearch'),
  domainname: applied('Domainname'),
  entrypoint: applied('Entrypoint'),
  env_file: applied('Env', {
    entries: {
      path: applied('Env'),
      required: applied('Env'),
      format: refused('only the default env file format is read'),
    },
  }),
  environment: applied('Env'),
  expose: applied('ExposedPorts'),
  extends: refused("not applied: put shared settings in the template, or in the project's compose.yml"),
  external_links: refused('projects reach each other as <project>-<service> on the workspace network'),
  extra_hosts: applied('HostConfig.ExtraHosts'),
  gpus: refused('ask for GPUs with "gpus:" in the project\'s envctl.yml, which envctl allocates'),
  group_add: applied('HostConfig.GroupAdd'),
  healthcheck: applied('Healthcheck', {
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
  hostname: applied('Hostname'),
  image: applied('Image'),
  init: applied('HostConfig.Init'),
  ipc: applied('HostConfig.IpcMode'),
  isolation: refused(WINDOWS),
  label_file: refused('write the labels in the file itself'),
  labels: applied('Labels'),
  links: refused("services reach each other by name on their project's network"),
  logging: applied('HostConfig.LogConfig', {
    keys: { driver: applied('HostConfig.LogConfig.Type'), options: applied('HostConfig.LogConfig.Config') },
  }),
  mac_address: refused('not applied'),
  mem_limit: applied('HostConfig.Memory'),
  mem_reservation: applied('HostConfig.MemoryReservation'),
  mem_swappiness: applied('HostConfig.MemorySwappiness'),
  memswap_limit: applied('HostConfig.MemorySwap'),
  models: refused('Docker Model Runner is not applied'),
  network_mode: applied('HostConfig.NetworkMode (none, host, or service:<a service of the same project>)'),
  networks: applied('NetworkingConfig', {
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
  oom_kill_disable: applied('HostConfig.OomKillDisable'),
  oom_score_adj: applied('HostConfig.OomScoreAdj'),
  pid: applied('HostConfig.PidMode'),
  pids_limit: applied('HostConfig.PidsLimit'),
  platform: refused("envctl builds and runs images for the engine's own platform"),
  ports: applied('HostConfig.PortBindings', {
    entries: {
      target: applied('HostConfig.PortBindings'),
      published: applied('HostConfig.PortBindings[].HostPort'),
      host_ip: applied('HostConfig.PortBindings[].HostIp'),
      protocol: applied('HostConfig.PortBindings'),
      mode: refused(SWARM, (value) => value === 'host'),
      name: refused("port names are envctl.yml's (the template's named ports)"),
      app_protocol: refused('informational only: it has no effect on the engine'),
    },
  }),
  post_start: refused(NEWER),
  pre_stop: refused(NEWER),
  privileged: applied('HostConfig.Privileged'),
  profiles: refused('which-project decides what runs'),
  provider: refused('not applied'),
  pull_policy: refused('envctl pulls an image only when the engine lacks it'),
  pull_refresh_after: refused('not applied'),
  read_only: applied('HostConfig.ReadonlyRootfs'),
  restart: applied('HostConfig.RestartPolicy'),
  runtime: applied('HostConfig.Runtime'),
  scale: refused('envctl runs one container a service', (value) => Number(value) === 1),
  secrets: refused('not applied: pass secrets with env_file, or mount the file with volumes'),
  security_opt: applied('HostConfig.SecurityOpt'),
  shm_size: applied('HostConfig.ShmSize'),
  stdin_open: applied('OpenStdin'),
  stop_grace_period: applied('StopTimeout'),
  stop_signal: applied('StopSignal'),
  storage_opt: applied('HostConfig.StorageOpt'),
  sysctls: applied('HostConfig.Sysctls'),
  tmpfs: applied('HostConfig.Tmpfs'),
  tty: applied('Tty'),
  ulimits: applied('HostConfig.Ulimits', {
    entries: { soft: applied('HostConfig.Ulimits[].Soft'), hard: applied('HostConfig.Ulimits[].Hard') },
  }),
  use_api_socket: refused('not applied: mount /var/run/docker.sock with volumes if a service needs the engine'),
  user: applied('User'),
  userns_mode: applied('HostConfig.UsernsMode'),
  uts: applied('HostConfig.UTSMode'),
  volumes: applied('HostConfig.Binds and HostConfig.Mounts', { entries: VOLUME_ENTRY }),
  volumes_from: refused('mount a named volume in both services instead'),
  working_dir: applied('WorkingDir'),
};

export interface RefusedUse {
  /** Path from the service: ["deploy", "placement"], ["ports", 0, "mode"]. */
  path: Array<string | number>;
  why: string;
}

/** The keys of a service (merged and rendered), or of a value of another table, that envctl does not apply, and why. */
export function refusedKeys(value: Record<string, unknown>, table: KeyTable = SERVICE_KEYS): RefusedUse[] {
  return walk(value, table, []);
}

function walk(value: Record<string, unknown>, table: KeyTable, path: Array<string | number>): RefusedUse[] {
  const found: RefusedUse[] = [];
  for (const [key, inner] of Object.entries(value)) {
    if (key.startsWith('x-')) continue;
    const rule = table[key];
    const at = [...path, key];
    if (!rule) found.push({ path: at, why: 'not a key envctl knows here' });
    else if (rule.kind === 'refused') {
      if (!rule.accepts?.(inner)) found.push({ path: at, why: rule.why });
    } else {
      if (rule.keys && isMapping(inner)) found.push(...walk(inner, rule.keys, at));
      if (rule.entries) found.push(...walkEntries(inner, rule.entries, at));
    }
  }
  return found;
}

function walkEntries(value: unknown, table: KeyTable, path: Array<string | number>): RefusedUse[] {
  const entries: Array<[string | number, unknown]> = Array.isArray(value)
    ? [...value.entries()]
    : isMapping(value)
      ? Object.entries(value)
      : [];
  return entries.flatMap(([key, entry]) => (isMapping(entry) ? walk(entry, table, [...path, key]) : []));
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every applied key, as dotted paths ("deploy.resources.limits.cpus"), for the README's table and its test. */
export function appliedPaths(table: KeyTable = SERVICE_KEYS, prefix = ''): string[] {
  return Object.entries(table).flatMap(([key, rule]) => {
    if (rule.kind !== 'applied') return [];
    const path = `${prefix}${key}`;
    const deeper = [
      ...(rule.keys ? appliedPaths(rule.keys, `${path}.`) : []),
      ...(rule.entries ? appliedPaths(rule.entries, `${path}[].`) : []),
    ];
    return [path, ...deeper];
  });
}

/** The service key whose value lands in the create body's HostConfig.<key> (privileged for Privileged). */
export function serviceKeyOfHostConfig(hostConfigKey: string): string | undefined {
  const target = `HostConfig.${hostConfigKey}`;
  const lands = (engine: string) => [target, `${target}.`, `${target}[`].some((start) => engine.startsWith(start));
  return Object.entries(SERVICE_KEYS).find(
    ([, rule]) => rule.kind === 'applied' && (rule.engine === target || lands(rule.engine)),
  )?.[0];
}
