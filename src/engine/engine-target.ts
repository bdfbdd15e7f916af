import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, type SourceLocation } from '../errors/envctl-error.js';
import { currentContextName, dockerConfigDir } from './engine-socket.js';

export const LOCAL_SOCKET = '/var/run/docker.sock';

/** Where a choice of engine came from, for doctor and for errors that name it. */
export type TargetSource =
  '--engine' | 'workspace.yml' | 'DOCKER_HOST' | 'DOCKER_CONTEXT' | 'docker context' | 'default';

export interface SshAddress {
  user: string | undefined;
  host: string;
  port: number | undefined;
}

export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
  verify: boolean;
}

/** One Docker Engine, as the docker CLI would find it. */
export type EngineAddress = { source: TargetSource; url: string } & (
  | { kind: 'unix'; socket: string }
  | { kind: 'ssh'; ssh: SshAddress }
  | { kind: 'tcp'; host: string; port: number; tls: TlsFiles | undefined }
);

/**
 * Where a workspace runs: one engine, or the swarm of a manager. A new kind is one more member here; the
 * compiler then points at each switch over kinds (engineId, describeTarget, deploymentOf).
 */
export type EngineTarget =
  EngineAddress | { kind: 'swarm'; source: TargetSource; url: string; manager: EngineAddress } | SlurmTarget;

/**
 * A Slurm cluster: its login node over SSH (`slurm+ssh://me@login`), or none when this machine submits itself
 * (`slurm`); images are built on `builder`, the engine the docker CLI would use here.
 */
export interface SlurmTarget {
  kind: 'slurm';
  source: TargetSource;
  url: string;
  login: SshAddress | undefined;
  builder: EngineAddress;
}

/** The engine envctl talks to for a target: itself, a swarm's manager, or the engine a cluster's images build on. */
export function engineAddressOf(target: EngineTarget): EngineAddress {
  if (target.kind === 'swarm') return target.manager;
  return target.kind === 'slurm' ? target.builder : target;
}

/** Thrown where a switch over target kinds meets one it does not know: the compiler makes this unreachable. */
export function unknownTarget(target: never): never {
  throw new Error(`unknown engine target ${JSON.stringify(target)}`);
}

export interface TargetChoice {
  /** `--engine` on the command line. */
  option?: string;
  /** `engine:` in workspace.yml, with where it was written. */
  setting?: { value: string; location: SourceLocation };
  env?: NodeJS.ProcessEnv;
}

/**
 * The engine a command uses: `--engine`, else workspace.yml's `engine:`, else what the docker CLI would use
 * (DOCKER_HOST, DOCKER_CONTEXT, the current context of ~/.docker/config.json), else the local socket. Each
 * value is an address (unix://, ssh://, tcp://) or a Docker context's name.
 */
export function resolveEngineTarget(choice: TargetChoice): EngineTarget {
  const env = choice.env ?? process.env;
  if (choice.option) return targetOf(choice.option, '--engine', env, undefined);
  if (choice.setting) return targetOf(choice.setting.value, 'workspace.yml', env, choice.setting.location);
  if (env.DOCKER_HOST) return parseEngineAddress(env.DOCKER_HOST, 'DOCKER_HOST', env, undefined);
  if (env.DOCKER_CONTEXT) return contextTarget(env.DOCKER_CONTEXT, 'DOCKER_CONTEXT', env, undefined);
  const current = currentContextName(env);
  if (current) return contextTarget(current, 'docker context', env, undefined);
  return { kind: 'unix', socket: LOCAL_SOCKET, source: 'default', url: `unix://${LOCAL_SOCKET}` };
}

function targetOf(
  text: string,
  source: TargetSource,
  env: NodeJS.ProcessEnv,
  location: SourceLocation | undefined,
): EngineTarget {
  // "swarm": the swarm of the engine the docker CLI would use; "swarm+ssh://manager": of that manager.
  if (text === 'swarm') return swarmOf({ ...engineAddressOf(resolveEngineTarget({ env })), source });
  if (text.startsWith('swarm+'))
    return swarmOf(engineAddressOf(targetOf(text.slice('swarm+'.length), source, env, location)));
  if (text === 'slurm' || text.startsWith('slurm+')) return slurmOf(text, source, env, location);
  return text.includes('://')
    ? parseEngineAddress(text, source, env, location)
    : contextTarget(text, source, env, location);
}

/** "slurm": this machine submits; "slurm+ssh://me@login": through that login node. */
function slurmOf(text: string, source: TargetSource, env: NodeJS.ProcessEnv, location?: SourceLocation): SlurmTarget {
  const builder = { ...engineAddressOf(resolveEngineTarget({ env })), source };
  if (text === 'slurm') return { kind: 'slurm', source, url: text, login: undefined, builder };
  const login = parseEngineAddress(text.slice('slurm+'.length), source, env, location);
  if (login.kind !== 'ssh') {
    throw new InputError(`${where(source, location)}: "${text}" names no login node over SSH.`, {
      location,
      hint: 'Write slurm+ssh://user@login-node (or slurm when this machine submits jobs itself).',
    });
  }
  return { kind: 'slurm', source, url: text, login: login.ssh, builder };
}

function swarmOf(manager: EngineAddress): EngineTarget {
  return { kind: 'swarm', source: manager.source, url: manager.url, manager };
}

/** unix:///path, ssh://[user@]host[:port], tcp://host[:port] (TLS from DOCKER_TLS_VERIFY/DOCKER_CERT_PATH). */
export function parseEngineAddress(
  text: string,
  source: TargetSource,
  env: NodeJS.ProcessEnv = process.env,
  location?: SourceLocation,
): EngineAddress {
  const refuse = (why: string) =>
    new InputError(`${where(source, location)}: the engine address "${text}" ${why}.`, {
      location,
      hint: 'Write unix:///var/run/docker.sock, ssh://user@host (or ssh://user@host:2222), tcp://host:2376, or the name of a Docker context ("docker context ls").',
    });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refuse('is not a URL');
  }
  if (url.protocol === 'unix:') return { kind: 'unix', socket: url.pathname, source, url: text };
  if (url.protocol === 'ssh:') {
    if (!url.hostname) throw refuse('names no host');
    if (url.pathname && url.pathname !== '/') throw refuse('has a path; an ssh:// address is only [user@]host[:port]');
    const ssh = { user: url.username || undefined, host: url.hostname, port: url.port ? Number(url.port) : undefined };
    return { kind: 'ssh', ssh, source, url: text };
  }
  if (url.protocol === 'tcp:') {
    if (!url.hostname) throw refuse('names no host');
    const verify = Boolean(env.DOCKER_TLS_VERIFY);
    const certPath = env.DOCKER_CERT_PATH ?? dockerConfigDir(env);
    const tls = verify ? tlsFiles(certPath, true) : undefined;
    const port = url.port ? Number(url.port) : verify ? 2376 : 2375;
    return { kind: 'tcp', host: url.hostname, port, tls, source, url: text };
  }
  throw refuse(`uses ${url.protocol.replace(':', '')}://, which envctl does not speak`);
}

function tlsFiles(dir: string, verify: boolean): TlsFiles {
  const file = (name: string) => (existsSync(join(dir, name)) ? join(dir, name) : undefined);
  return { ca: file('ca.pem'), cert: file('cert.pem'), key: file('key.pem'), verify };
}

/** A Docker context, read as the docker CLI stores it: meta.json under a folder named by its name's SHA-256. */
function contextTarget(
  name: string,
  source: TargetSource,
  env: NodeJS.ProcessEnv,
  location: SourceLocation | undefined,
): EngineAddress {
  if (name === 'default') {
    if (env.DOCKER_HOST && source !== '--engine' && source !== 'workspace.yml')
      return parseEngineAddress(env.DOCKER_HOST, 'DOCKER_HOST', env);
    return { kind: 'unix', socket: LOCAL_SOCKET, source, url: `unix://${LOCAL_SOCKET}` };
  }
  const digest = createHash('sha256').update(name).digest('hex');
  const contexts = join(dockerConfigDir(env), 'contexts');
  const metaFile = join(contexts, 'meta', digest, 'meta.json');
  if (!existsSync(metaFile)) {
    throw new InputError(`${where(source, location)}: there is no Docker context named "${name}" (no ${metaFile}).`, {
      location,
      hint: 'List the contexts with "docker context ls", create one with "docker context create NAME --docker host=ssh://user@host", or write the address itself (ssh://user@host).',
    });
  }
  const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as {
    Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } };
  };
  const endpoint = meta.Endpoints?.docker;
  if (!endpoint?.Host)
    throw new InputError(`The Docker context "${name}" (${metaFile}) names no docker endpoint.`, { location });
  const target = parseEngineAddress(endpoint.Host, source, {}, location);
  if (target.kind !== 'tcp') return { ...target, url: `${endpoint.Host} (context ${name})` };
  const tlsDir = join(contexts, 'tls', digest, 'docker');
  const tls = existsSync(tlsDir) ? tlsFiles(tlsDir, !endpoint.SkipTLSVerify) : undefined;
  return {
    ...target,
    tls,
    port: tls && !new URL(endpoint.Host).port ? 2376 : target.port,
    url: `${endpoint.Host} (context ${name})`,
  };
}

function where(source: TargetSource, location: SourceLocation | undefined): string {
  if (location) return `${location.file}${location.line ? `:${location.line}` : ''}`;
  return source;
}

/** A short name for a target, safe in file names: state is kept per engine. The local socket is "local". */
export function engineId(target: EngineTarget): string {
  return idText(target).replace(/[^A-Za-z0-9@._-]+/g, '_');
}

function idText(target: EngineTarget): string {
  switch (target.kind) {
    case 'swarm':
      return `swarm-${engineId(target.manager)}`;
    case 'slurm':
      return target.login ? `slurm-${sshId(target.login)}` : 'slurm-local';
    case 'unix':
      return target.socket === LOCAL_SOCKET ? 'local' : `unix-${target.socket}`;
    case 'ssh':
      return `ssh-${sshId(target.ssh)}`;
    case 'tcp':
      return `tcp-${target.host}-${target.port}`;
    default:
      return unknownTarget(target);
  }
}

function sshId({ user, host, port }: SshAddress): string {
  return `${user ? `${user}@` : ''}${host}${port ? `-${port}` : ''}`;
}

/** The engine a command talks to, as messages name it: the target, or for a cluster the engine that builds for it. */
export function engineLabel(target: EngineTarget): string {
  return target.kind === 'slurm'
    ? `${target.builder.url} (builds for ${describeTarget(target)})`
    : describeTarget(target);
}

/** The address as messages show it, with where it came from when that is not the default. */
export function describeTarget(target: EngineTarget): string {
  if (target.kind === 'swarm') return `the swarm of ${describeTarget(target.manager)}`;
  if (target.kind === 'slurm')
    return target.login ? `the Slurm cluster of ${target.url.slice('slurm+'.length)}` : 'the Slurm cluster here';
  if (target.source === 'DOCKER_HOST') return `DOCKER_HOST=${target.url}`;
  if (target.source === 'workspace.yml') return `${target.url} (engine: in workspace.yml)`;
  return target.url;
}
