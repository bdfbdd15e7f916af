import { EngineError } from '../errors/envctl-error.js';

/** The engine a server's own docker CLI would use, and how it was found there. */
export interface RemoteEngine {
  /** unix:///path or tcp://host:port, as the server names it. */
  endpoint: string;
  /** "the docker CLI (context default)", "its DOCKER_HOST", "the rootless engine", "the default socket". */
  foundBy: string;
}

/**
 * Run on the server in its login shell (sh -l: the profile where a rootless install sets DOCKER_HOST): the
 * docker CLI's own answer where it is installed (its current context, which follows DOCKER_HOST and
 * DOCKER_CONTEXT as `docker system dial-stdio` does), else DOCKER_HOST, else the rootless engine's socket
 * under XDG_RUNTIME_DIR, else /var/run/docker.sock. Two lines: how, then the endpoint.
 */
export const FIND_ENGINE_SCRIPT = [
  'if command -v docker >/dev/null 2>&1 && h=$(docker context inspect --format "{{.Endpoints.docker.Host}}" 2>/dev/null) && [ -n "$h" ]; then',
  '  echo "cli $(docker context show 2>/dev/null)"; echo "$h"',
  'elif [ -n "$DOCKER_HOST" ]; then echo env; echo "$DOCKER_HOST"',
  'elif [ -n "$XDG_RUNTIME_DIR" ] && [ -S "$XDG_RUNTIME_DIR/docker.sock" ]; then',
  '  echo rootless; echo "unix://$XDG_RUNTIME_DIR/docker.sock"',
  'else echo default; echo unix:///var/run/docker.sock; fi',
].join('\n');

/** The script's answer, read. */
export function parseRemoteEngine(output: string): RemoteEngine {
  const [how = '', endpoint = ''] = output.trim().split('\n');
  const [kind, context] = how.split(' ');
  const foundBy =
    kind === 'cli'
      ? `its docker CLI (context ${context || 'default'})`
      : kind === 'env'
        ? 'its DOCKER_HOST'
        : kind === 'rootless'
          ? 'its rootless engine (XDG_RUNTIME_DIR)'
          : 'the default socket';
  return { endpoint: endpoint.trim() || 'unix:///var/run/docker.sock', foundBy };
}

/** What `ssh -L <local>:<this>` forwards to: a socket path on the server, or host:port of a TCP engine. */
export function forwardTarget(engine: RemoteEngine, destination: string): string {
  const unix = /^unix:\/\/(\/.+)$/.exec(engine.endpoint);
  if (unix) return unix[1]!;
  const tcp = /^tcp:\/\/([^/:]+):(\d+)\/?$/.exec(engine.endpoint);
  if (tcp) return `${tcp[1]}:${tcp[2]}`;
  throw new EngineError(
    `The Docker Engine of ${destination} is ${engine.endpoint} (${engine.foundBy}), which envctl cannot reach through SSH.`,
    {
      hint: `Point the server's docker at a unix:// socket or a tcp:// address (its DOCKER_HOST or docker context), or name that engine with --engine.`,
    },
  );
}
