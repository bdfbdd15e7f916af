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
  build?: string | { context?: string; dockerfile?: string; args?: Record<string, unknown> | string[]; [key: string]: unknown };
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
  deploy?: { resources?: { reservations?: { devices?: unknown[]; [key: string]: unknown }; [key: string]: unknown }; [key: string]: unknown };
  [key: string]: unknown;
}

export interface ComposeFile {
  name?: string;
  services?: Record<string, ServiceSpec>;
  networks?: Record<string, Record<string, unknown> | null>;
  volumes?: Record<string, Record<string, unknown> | null>;
  secrets?: Record<string, { file?: string; [key: string]: unknown }>;
  configs?: Record<string, { file?: string; [key: string]: unknown }>;
  [key: string]: unknown;
}

/** A Compose extension key envctl adds to a service built from a template: the files its image is built from. */
export const DEPENDENCY_FILES = 'x-envctl-dependency-files';
