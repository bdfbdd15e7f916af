import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import { InputError, type SourceLocation } from '../errors/envctl-error.js';
import { parseCidr } from '../util/cidr.js';
import { parseDurationNs } from '../util/units.js';
import { validateYaml } from '../util/validate.js';
import { YamlSource } from '../util/yaml-source.js';
import { condaSettingsSchema, packageMirrors, pipSettingsSchema, type PackageMirrors } from './mirrors.js';

export const SETTINGS_FILE = 'workspace.yml';

export interface PortRange {
  from: number;
  to: number;
}

export interface WorkspaceSettings {
  /** Compose project name of the whole workspace: prefixes networks and labels. */
  name: string;
  /** `rangeSet`: workspace.yml names the range, so that it bounds preferred ports too. */
  ports: { range: PortRange; bind: string; rangeSet: boolean };
  networks: { range: string; projectPrefix: number };
  /** The user's dotfiles folder (absolute), carried into every environment's home; none when unset. */
  dotfiles: string | undefined;
  /** `engine:`: the Docker Engine this workspace runs on (an address or a Docker context), where written. */
  engine: { value: string; location: SourceLocation } | undefined;
  /** Where a remote engine's copy of the project folders lives, and what is not synced. */
  remote: RemoteSettings;
  /** `pip:` and `conda:`, else pip's own environment variables: what template builds install through. */
  mirrors: PackageMirrors;
  /** `up:`: how long up watches each container it started, and waits at most for a health check. */
  up: { settleMs: number; healthMs: number };
  /** `swarm:`: on a swarm, the registry (host:port) built images go through to the nodes; else docker save/load. */
  swarm: { registry: { value: string; location: SourceLocation } | undefined };
  /** `slurm:`: how a workspace on a Slurm cluster's jobs are submitted and where their files live. */
  slurm: SlurmSettings;
}

export const SLURM_RUNTIMES = ['apptainer', 'enroot', 'charliecloud'] as const;
export type SlurmRuntime = (typeof SLURM_RUNTIMES)[number];

export interface SlurmSettings {
  partition: string | undefined;
  account: string | undefined;
  /** Each job's time limit, as sbatch --time takes it ("2:00:00", "1-0"); the partition's default when unset. */
  time: string | undefined;
  /** The container runtime on the compute nodes; found on the cluster when unset. */
  runtime: SlurmRuntime | undefined;
  /** A folder every node sees (`~/` is the user's home there): images, project folders, job files. */
  root: string;
  location: SourceLocation;
}

export interface RemoteSettings {
  /** The folder on the server (`~/` is the remote user's home); default ~/envctl/<name>. */
  root: string;
  /** Paths kept out of sync (unison's Name patterns: a file or folder name, globs allowed). */
  ignore: string[];
}

/** What stays on the server by default: datasets, checkpoints and run outputs are big and made there. */
export const DEFAULT_SYNC_IGNORE = [
  'data',
  'datasets',
  'checkpoints',
  'outputs',
  'runs',
  'wandb',
  'mlruns',
  'lightning_logs',
  '*.ckpt',
  '*.pt',
  '*.pth',
  '*.safetensors',
  '__pycache__',
  '.ipynb_checkpoints',
];

export const DEFAULT_PORT_RANGE: PortRange = { from: 8800, to: 9999 };
/** Outside Docker's default address pools (172.17-31.0.0/16 and 192.168.0.0/16). */
export const DEFAULT_NETWORK_RANGE = '10.213.0.0/16';
export const DEFAULT_PROJECT_PREFIX = 26;

const portNumber = z.number().int().min(1).max(65535);
/** A Compose duration ("1s", "1m30s") or seconds, read as milliseconds. */
const duration = z
  .union([z.string(), z.number().min(0)])
  .refine((value) => durationMs(value) !== undefined, 'must be a duration such as "1s", "500ms" or "2m"')
  .transform((value) => durationMs(value)!);

function durationMs(value: string | number): number | undefined {
  try {
    return parseDurationNs(value) / 1e6;
  } catch {
    return undefined;
  }
}

export const DEFAULT_SETTLE_MS = 1000;
export const DEFAULT_HEALTH_TIMEOUT_MS = 120_000;
const settingsSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lowercase letters, digits, "-" and "_"')
      .optional(),
    ports: z
      .object({
        range: z
          .string()
          .regex(/^\d+\s*-\s*\d+$/, 'must look like "8800-9999"')
          .optional(),
        bind: z.union([z.ipv4(), z.ipv6()]).optional(),
      })
      .strict()
      .optional(),
    networks: z
      .object({
        range: z.string().optional(),
        project_prefix: z.number().int().min(16).max(29).optional(),
      })
      .strict()
      .optional(),
    dotfiles: z.string().min(1).optional(),
    engine: z.string().min(1).optional(),
    remote: z
      .object({
        root: z.string().min(1).optional(),
        ignore: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
    pip: pipSettingsSchema.optional(),
    conda: condaSettingsSchema.optional(),
    up: z
      .object({
        settle: duration.optional(),
        health_timeout: duration.optional(),
      })
      .strict()
      .optional(),
    swarm: z
      .object({
        registry: z
          .string()
          .regex(/^[a-z0-9.-]+(:\d{1,5})?$/i, 'a registry is host or host:port, as in registry.lab:5000')
          .optional(),
      })
      .strict()
      .optional(),
    slurm: z
      .object({
        partition: z.string().min(1).optional(),
        account: z.string().min(1).optional(),
        time: z
          .string()
          .regex(/^(\d+-)?\d+(:\d{1,2}){0,2}$/, 'a time limit as sbatch takes it: minutes, "H:MM:SS" or "D-HH"')
          .optional(),
        runtime: z.enum(SLURM_RUNTIMES).optional(),
        root: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** Reads workspace.yml at the root (optional) and fills in the defaults. */
export function loadSettings(root: string, env: NodeJS.ProcessEnv = process.env): WorkspaceSettings {
  const file = join(root, SETTINGS_FILE);
  const raw = existsSync(file)
    ? validateYaml(YamlSource.read(file), settingsSchema, (_issue, keyPath) => settingsHint(keyPath))
    : {};
  const range = raw.ports?.range ? parsePortRange(raw.ports.range, file) : DEFAULT_PORT_RANGE;
  const networkRange = raw.networks?.range ?? DEFAULT_NETWORK_RANGE;
  try {
    parseCidr(networkRange);
  } catch {
    throw new InputError(`${file}: networks.range "${networkRange}" is not an IPv4 range in CIDR form.`, {
      location: { file },
      hint: `Write it like "${DEFAULT_NETWORK_RANGE}".`,
    });
  }
  const name = raw.name ?? composeNameFor(basename(root));
  return {
    engine: raw.engine === undefined ? undefined : { value: raw.engine, location: settingLocation(file, ['engine']) },
    remote: {
      root: raw.remote?.root?.replace(/\/+$/, '') || `~/envctl/${name}`,
      ignore: (raw.remote?.ignore ?? DEFAULT_SYNC_IGNORE).map((pattern) => pattern.replace(/\/+$/, '')),
    },
    mirrors: packageMirrors(raw.pip, raw.conda, env),
    dotfiles: raw.dotfiles === undefined ? undefined : dotfilesFolder(raw.dotfiles, root, file),
    name,
    ports: { range, bind: raw.ports?.bind ?? '127.0.0.1', rangeSet: raw.ports?.range !== undefined },
    networks: { range: networkRange, projectPrefix: raw.networks?.project_prefix ?? DEFAULT_PROJECT_PREFIX },
    up: {
      settleMs: raw.up?.settle ?? DEFAULT_SETTLE_MS,
      healthMs: raw.up?.health_timeout ?? DEFAULT_HEALTH_TIMEOUT_MS,
    },
    swarm: {
      registry:
        raw.swarm?.registry === undefined
          ? undefined
          : { value: raw.swarm.registry, location: settingLocation(file, ['swarm', 'registry']) },
    },
    slurm: {
      partition: raw.slurm?.partition,
      account: raw.slurm?.account,
      time: raw.slurm?.time,
      runtime: raw.slurm?.runtime,
      root: raw.slurm?.root?.replace(/\/+$/, '') || `~/envctl/${name}`,
      location: raw.slurm ? settingLocation(file, ['slurm']) : { file },
    },
  };
}

const MIRROR_KEYS: Record<string, string> = {
  pip: 'Under pip: the keys are index_url (a URL), extra_index_url (a URL or a list) and trusted_host (a host or a list).',
  conda: 'Under conda: the key is channels (a list of channel names or URLs).',
};

function settingsHint(keyPath: string): string {
  const readme = `See "Workspace settings" in the README for the keys ${SETTINGS_FILE} accepts.`;
  const mirror = MIRROR_KEYS[keyPath.split('.')[0]!];
  return mirror ? `${mirror} ${readme}` : readme;
}

/** `~/dotfiles`, an absolute path, or one relative to the workspace: it must be a folder. */
function dotfilesFolder(text: string, root: string, file: string): string {
  const path = text.startsWith('~/') || text === '~' ? join(homedir(), text.slice(1)) : resolve(root, text);
  if (!existsSync(path) || !statSync(path).isDirectory()) {
    const location = { file, line: YamlSource.read(file).locate(['dotfiles']).line };
    throw new InputError(`${file}:${location.line}: dotfiles "${text}" is not a folder (${path}).`, {
      location,
      hint: 'Name the folder that holds your dotfiles (e.g. a clone of your dotfiles repository), or remove the line.',
    });
  }
  return path;
}

function settingLocation(file: string, path: string[]): SourceLocation {
  return { file, line: YamlSource.read(file).locate(path).line };
}

function parsePortRange(text: string, file: string): PortRange {
  const [from, to] = text.split('-').map((part) => Number(part.trim())) as [number, number];
  if (!(portNumber.safeParse(from).success && portNumber.safeParse(to).success && from <= to)) {
    throw new InputError(`${file}: ports.range "${text}" is not a range of port numbers.`, {
      location: { file },
      hint: 'Write it as "FROM-TO" with 1 <= FROM <= TO <= 65535, e.g. "8800-9999".',
    });
  }
  return { from, to };
}

/** A folder name made into what Compose accepts as a project name. */
export function composeNameFor(folder: string): string {
  const name = folder
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+/, '');
  return name || 'envctl';
}
