/**
 * The parts of the Compose Specification's model envctl reads or writes. Everything else passes
 * through untouched, which the index signatures allow.
 */
export interface PortSpec {
  target: number;
  published?: string | number;
  host_ip?: string;
  protocol?: string;
  mode?: string;
  name?: string;
  app_protocol?: string;
}

export interface VolumeMount {
  type?: string;
  source?: string;
  target?: string;
  [key: string]: unknown;
}

export type EnvFileEntry = string | { path: string; required?: boolean };

export interface ServiceSpec {
  image?: string;
  build?:
    | string
    | { context?: string; dockerfile?: string; args?: Record<string, unknown> | string[]; [key: string]: unknown };
  ports?: Array<string | number | PortSpec>;
  volumes?: Array<string | VolumeMount>;
  environment?: Record<string, unknown> | string[];
  env_file?: EnvFileEntry | EnvFileEntry[];
  labels?: Record<string, string> | string[];
  networks?: string[] | Record<string, { aliases?: string[]; [key: string]: unknown } | null>;
  network_mode?: string;
  depends_on?: string[] | Record<string, unknown>;
  links?: string[];
  volumes_from?: string[];
  extends?: unknown;
  command?: string | string[] | null;
  entrypoint?: string | string[] | null;
  working_dir?: string;
  user?: string;
  hostname?: string;
  domainname?: string;
  tty?: boolean;
  stdin_open?: boolean;
  stop_signal?: string;
  stop_grace_period?: string;
  restart?: string;
  healthcheck?: Record<string, unknown>;
  expose?: Array<string | number>;
  cap_add?: string[];
  cap_drop?: string[];
  privileged?: boolean;
  init?: boolean;
  read_only?: boolean;
  device_cgroup_rules?: string[];
  shm_size?: string | number;
  mem_limit?: string | number;
  mem_reservation?: string | number;
  memswap_limit?: string | number;
  mem_swappiness?: number;
  cpus?: string | number;
  cpu_shares?: number;
  cpu_quota?: number;
  cpu_period?: number;
  cpuset?: string;
  pids_limit?: number;
  oom_kill_disable?: boolean;
  oom_score_adj?: number;
  security_opt?: string[];
  storage_opt?: Record<string, string>;
  dns?: string | string[];
  dns_opt?: string[];
  dns_search?: string | string[];
  ipc?: string;
  pid?: string;
  uts?: string;
  userns_mode?: string;
  cgroup?: string;
  cgroup_parent?: string;
  runtime?: string;
  deploy?: {
    resources?: { reservations?: { devices?: unknown[]; [key: string]: unknown }; [key: string]: unknown };
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** A top-level network, as far as envctl reads it (the schema has checked its shape). */
export interface NetworkSpec {
  name?: string;
  driver?: string;
  external?: boolean;
  internal?: boolean;
  attachable?: boolean;
  labels?: Record<string, string> | string[];
  ipam?: { config?: Array<{ subnet?: string; gateway?: string }>; [key: string]: unknown };
  [key: string]: unknown;
}

/** A top-level volume, as far as envctl reads it. */
export interface VolumeSpec {
  name?: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  labels?: Record<string, string> | string[];
  [key: string]: unknown;
}

export interface ComposeFile {
  name?: string;
  services?: Record<string, ServiceSpec>;
  networks?: Record<string, NetworkSpec | null>;
  volumes?: Record<string, VolumeSpec | null>;
  secrets?: Record<string, { file?: string; [key: string]: unknown }>;
  configs?: Record<string, { file?: string; [key: string]: unknown }>;
  [key: string]: unknown;
}

/** A Compose extension key envctl adds to a service built from a template: the files its image is built from. */
export const DEPENDENCY_FILES = 'x-envctl-dependency-files';

/** A Compose extension key envctl adds to a template's user service that it builds: add the user layer. */
export const USER_LAYER_KEY = 'x-envctl-user-layer';

/**
 * A Compose extension key envctl adds to a service built from its template's own Dockerfile: the scope of that
 * Dockerfile's cache mounts (the workspace and the template), so that their caches are theirs alone.
 */
export const CACHE_SCOPE_KEY = 'x-envctl-cache-scope';
