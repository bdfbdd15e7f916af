import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';

/**
 * The local engine's unix socket, or undefined when DOCKER_HOST points elsewhere (tcp://, ssh://): only the
 * up-stamp check talks to the socket directly, and it steps aside for remote engines.
 */
export function localEngineSocket(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = env.DOCKER_HOST;
  if (host) return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
  // A Docker context may name any engine: the full path resolves it (engine-target.ts).
  if (env.DOCKER_CONTEXT && env.DOCKER_CONTEXT !== 'default') return undefined;
  if (currentContextName(env)) return undefined;
  return '/var/run/docker.sock';
}

/** The docker CLI's configuration folder: DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG ?? `${homedir()}/.docker`;
}

/** The current context config.json names, unless it is the default one (read here, on the no-op up's path too). */
export function currentContextName(env: NodeJS.ProcessEnv): string | undefined {
  try {
    const file = `${dockerConfigDir(env)}/config.json`;
    const current = (JSON.parse(readFileSync(file, 'utf8')) as { currentContext?: string }).currentContext;
    return current && current !== 'default' ? current : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One GET on the Engine API over its socket, parsed as JSON; a 404 gives undefined. HTTP/1.0 on a plain
 * socket (the engine answers it with the whole body, then closes), because the caller is the no-op `up`,
 * which must answer before dockerode, or even node:http's client (~20 ms to load), could.
 */
export function engineGet(socketPath: string, path: string, timeoutMs = 2000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`GET ${path}: no answer within ${timeoutMs} ms`)));
    socket.on('connect', () => socket.end(`GET ${path} HTTP/1.0\r\nHost: docker\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', (hadError) => {
      if (hadError) return;
      try {
        resolve(parseResponse(Buffer.concat(chunks).toString('utf8'), path));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

/** Pure: an HTTP/1.0 answer → its JSON body; 404 → undefined; anything else an error. */
export function parseResponse(text: string, path: string): unknown {
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
  const bodyAt = text.indexOf('\r\n\r\n');
  if (!status || bodyAt < 0) throw new Error(`GET ${path}: not an HTTP answer`);
  const body = text.slice(bodyAt + 4);
  if (status === '404') return undefined;
  if (status !== '200') throw new Error(`GET ${path}: HTTP ${status} ${body.slice(0, 200)}`);
  return JSON.parse(body);
}
