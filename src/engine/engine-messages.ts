import type { BuildFailurePoint } from './buildkit-trace.js';
import {
  NoGpuRuntimeError,
  PortTakenError,
  SubnetTakenError,
  type PullFailure,
  type PushFailure,
} from './engine-errors.js';

/**
 * The only place that reads the Docker Engine's words: each failure envctl acts on becomes a typed error
 * (engine-errors.ts). dockerd 20.10 through 27 say these things the same way.
 */

/** The engine's two ways of saying a host port is taken: the proxy's bind and the driver's allocation. */
export function portTakenIn(error: unknown): number | undefined {
  const match = /:(\d+)(?: failed: port is already allocated|: bind: address already in use)/.exec(messageOf(error));
  return match ? Number(match[1]) : undefined;
}

/** A container's start failed: a port someone took, an NVIDIA request without the runtime, or as it was. */
export function startFailure(error: unknown): unknown {
  const port = portTakenIn(error);
  if (port !== undefined) return new PortTakenError(port, error);
  if (/could not select device driver "nvidia"/.test(messageOf(error))) return new NoGpuRuntimeError(error);
  return error;
}

/** A network's creation failed: its subnet overlaps one made since allocation, or as it was. */
export function networkCreateFailure(error: unknown, subnet: string | undefined): unknown {
  if (subnet && /overlaps with other one|Pool overlaps/i.test(messageOf(error)))
    return new SubnetTakenError(subnet, error);
  return error;
}

/** dockerd refuses to remove a network that still has endpoints (in use, or a stale one). */
export function hasActiveEndpoints(error: unknown): boolean {
  return /has active endpoints/.test(messageOf(error));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What a failed pull's message says went wrong (dockerd's and the registry's words, as 20.10 to 28 write them). */
export function pullFailureOf(message: string): PullFailure {
  const text = message.toLowerCase();
  if (text.includes('no space left on device')) return 'disk-full';
  // Docker Hub answers a repository it does not have as "pull access denied ... does not exist or may require login".
  if (text.includes('repository does not exist')) return 'unknown-image';
  if (/unauthorized|authentication required|denied|no basic auth credentials/.test(text)) return 'unauthorized';
  if (/manifest unknown|not found|does not exist|repository name not known/.test(text)) return 'unknown-image';
  if (
    /connection refused|no such host|i\/o timeout|timeout exceeded|network is unreachable|tls handshake|\\beof\\b/.test(
      text,
    )
  )
    return 'unreachable';
  return 'other';
}

/** What a failed push's message says went wrong. */
export function pushFailureOf(error: unknown): PushFailure {
  const text = (error instanceof Error ? error.message : String(error)).toLowerCase();
  if (text.includes('http response to https client')) return 'plain-http';
  if (/unauthorized|authentication required|denied/.test(text)) return 'unauthorized';
  if (/connection refused|no such host|i\/o timeout|timeout exceeded|network is unreachable/.test(text))
    return 'unreachable';
  return 'other';
}

/**
 * Follows a classic build's "Step n/m : ..." lines: the step running now, named as BuildKit names it ("[2/4] RUN
 * ..."), and while a FROM step runs, the image it pulls, its build arguments filled in (FROM ${BASE_IMAGE} with ARG
 * BASE_IMAGE=... or the build's own value).
 */
export class BuildSteps implements BuildFailurePoint {
  private readonly defaults: Record<string, string> = {};
  /** The base image of the FROM step running now; undefined once another step began. */
  pullingBase: string | undefined;
  /** The step running now: on a failure, the one that failed. */
  failedStep: string | undefined;

  constructor(private readonly args: Record<string, string>) {}

  /** Reads one output line; returns the step's name when the line begins one. */
  read(line: string): string | undefined {
    const step = /^Step (\d+\/\d+) : (\w+) (.*)$/i.exec(line);
    if (!step) return undefined;
    const [, number = '', instruction = '', rest = ''] = step;
    const arg = /^(\w+)=(\S+)/.exec(rest);
    if (instruction.toUpperCase() === 'ARG' && arg) this.defaults[arg[1]!] ??= arg[2]!;
    const values = { ...this.defaults, ...this.args };
    this.pullingBase =
      instruction.toUpperCase() === 'FROM'
        ? rest.split(/\s+/)[0]!.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => values[name] ?? whole)
        : undefined;
    this.failedStep = `[${number}] ${instruction.toUpperCase()} ${rest}`;
    return this.failedStep;
  }
}

/**
 * The engine refused a BuildKit build (`version=2`) before building: dockerd without BuildKit (Windows, or one
 * built without it) says "buildkit not supported"; one that predates the parameter, "invalid version".
 */
export function buildKitRefused(error: unknown): boolean {
  const status = (error as { statusCode?: number }).statusCode;
  return (status === 400 || status === 500) && /buildkit|invalid version/i.test(messageOf(error));
}

/** A build's RUN step found no default bridge to run on (dockerd --bridge none). */
export function lacksDefaultBridge(message: string): boolean {
  return /network bridge not found/.test(message);
}
