import { readFileSync as readFile } from 'node:fs';
import Docker from 'dockerode';
import { engineUnreachable, START_ENGINE } from './engine-errors.js';
import { DockerEngine } from './docker-engine.js';
import {
  engineAddressOf,
  engineLabel,
  resolveEngineTarget,
  type EngineAddress,
  type EngineTarget,
} from './engine-target.js';
import { SshHost } from './ssh-host.js';

/** Connects to the engine the target names (default: the docker CLI's) or fails saying where and what to do. */
export async function connectDocker(
  options: { timeoutMs?: number; target?: EngineTarget; ssh?: SshHost } = {},
): Promise<DockerEngine> {
  const chosen = options.target ?? resolveEngineTarget({});
  const target = engineAddressOf(chosen);
  const ssh = target.kind === 'ssh' ? (options.ssh ?? new SshHost(target.ssh)) : undefined;
  const docker = new Docker({
    ...(await dockerOptions(target, ssh)),
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
  });
  const daemonHost = target.kind === 'unix' ? { socket: target.socket } : ssh ? { ssh } : undefined;
  const engine = new DockerEngine(docker, engineLabel(chosen), daemonHost);
  try {
    await engine.docker.ping();
  } catch (cause) {
    throw engineUnreachable(
      engine.address,
      cause,
      target.kind === 'unix'
        ? START_ENGINE
        : `Check that the engine runs there and that "docker -H ${target.url.split(' ')[0]} info" answers from this shell.`,
    );
  }
  return engine;
}

/** dockerode's connection options for a target; an ssh:// one goes through the user's OpenSSH client. */
async function dockerOptions(target: EngineAddress, ssh: SshHost | undefined): Promise<Docker.DockerOptions> {
  if (target.kind === 'unix') return { socketPath: target.socket };
  if (target.kind === 'ssh') return { socketPath: await ssh!.engineSocket() };
  const read = (file: string | undefined) => (file ? readFile(file) : undefined);
  const tls = target.tls;
  if (!tls) return { host: target.host, port: target.port, protocol: 'http' };
  return {
    host: target.host,
    port: target.port,
    protocol: 'https',
    ca: read(tls.ca),
    cert: read(tls.cert),
    key: read(tls.key),
  };
}
