import { EngineError } from '../errors/envctl-error.js';

/**
 * The engine's failures that envctl acts on, raised by the adapter (docker-engine.ts), which alone reads the
 * engine's messages: everything else tells them apart by class.
 */

/** A host port the engine could not bind when starting a container: someone took it after allocation. */
export class PortTakenError extends EngineError {
  constructor(
    readonly port: number,
    cause: unknown,
  ) {
    super(`Host port ${port} is already taken: ${messageOf(cause)}`, { cause });
  }
}

/** A subnet another network took between allocation and creation. */
export class SubnetTakenError extends EngineError {
  constructor(
    readonly subnet: string,
    cause: unknown,
  ) {
    super(`The subnet ${subnet} overlaps another network's: ${messageOf(cause)}`, { cause });
  }
}

/** The engine cannot honour an NVIDIA device request: no NVIDIA runtime or hook. */
export class NoGpuRuntimeError extends EngineError {
  constructor(cause: unknown) {
    super(`The Docker Engine cannot give a GPU: ${messageOf(cause)}`, {
      cause,
      hint:
        'Install the NVIDIA driver and the NVIDIA Container Toolkit (nvidia-ctk runtime configure --runtime=docker, ' +
        'then restart dockerd), or remove "gpus:" from the project.',
    });
  }
}

/** A network that containers envctl did not make still use. */
export class NetworkInUseError extends EngineError {
  constructor(
    readonly network: string,
    readonly users: number,
  ) {
    super(`The network ${network} is still used by ${users} container(s).`, {
      hint: `See which with "docker network inspect ${network}"; disconnect or remove them, then run envctl again.`,
    });
  }
}

/** dockerd keeps an endpoint on a network no container uses, and refuses to remove it until it restarts. */
export class StaleEndpointError extends EngineError {
  constructor(
    readonly network: string,
    cause: unknown,
  ) {
    super(
      `The Docker Engine would not remove network ${network}: it says the network still has endpoints, though no ` +
        'container uses it.',
      {
        cause,
        hint:
          'That is a stale endpoint inside dockerd; restarting the engine (sudo systemctl restart docker) clears it. ' +
          'Your containers are already removed; the network is harmless until then.',
      },
    );
  }
}

/** Why a pull failed, as far as envctl can tell (engine-messages.ts reads it from the engine's message). */
export type PullFailure = 'unknown-image' | 'unreachable' | 'unauthorized' | 'disk-full' | 'other';

const PULL_HINTS: Record<PullFailure, (reference: string, registry: string) => string> = {
  'unknown-image': (reference, registry) =>
    `${registry} has no image ${reference}: check the name and tag (a typo in base_image or image:?), or build ` +
    `or load the image locally (docker build / docker load) and tag it ${reference}.`,
  unreachable: (reference, registry) =>
    `The engine could not reach ${registry}: check that the registry runs and that the engine's machine reaches ` +
    'it (a proxy, a VPN, a registry mirror in /etc/docker/daemon.json), then run envctl up again; or build or ' +
    `load the image locally (docker build / docker load) and tag it ${reference}.`,
  unauthorized: (_reference, registry) =>
    `${registry} wants credentials for it: run "docker login ${registry}" (on the engine's machine), then envctl up again.`,
  'disk-full': () =>
    "The engine's disk is full: free space (docker system prune removes unused images and build cache), then envctl up again.",
  other: (reference) =>
    `Build or load the image locally (docker build / docker load) and tag it ${reference}, or change the template's image.`,
};

/** An image the engine does not have and could not pull. */
export class ImageMissingError extends EngineError {
  constructor(
    readonly reference: string,
    cause: unknown,
    readonly failure: PullFailure = 'other',
  ) {
    super(`Could not pull image ${reference}: ${messageOf(cause)}.`, {
      cause,
      hint: PULL_HINTS[failure](reference, registryOf(reference)),
    });
  }
}

/** A build whose base image (a FROM line) could not be pulled. */
export class BaseImageError extends EngineError {
  constructor(
    readonly tag: string,
    readonly reference: string,
    reason: string,
    readonly failure: PullFailure,
    cause: unknown,
  ) {
    super(`Building ${tag} failed: its base image ${reference} could not be pulled: ${reason}.`, {
      cause,
      hint:
        `${PULL_HINTS[failure](reference, registryOf(reference))} A built-in template's base image is its ` +
        "base_image parameter: set params: { base_image: ... } in the project's envctl.yml.",
    });
  }
}

/** Why a push to a swarm's registry failed, as the registry's and dockerd's words say. */
export type PushFailure = 'plain-http' | 'unreachable' | 'unauthorized' | 'other';

const PUSH_HINTS: Record<PushFailure, (registry: string) => string> = {
  'plain-http': (registry) =>
    `${registry} speaks plain HTTP: list it under "insecure-registries" in /etc/docker/daemon.json on the manager ` +
    'and on every node, then restart dockerd there; or serve it over TLS.',
  unreachable: (registry) =>
    `Check that ${registry} answers from the manager and from every node (curl http://${registry}/v2/).`,
  unauthorized: (registry) =>
    `${registry} refuses anonymous pushes: envctl pushes without credentials; use a registry of the lab's that takes them.`,
  other: (registry) => `Check ${registry} (swarm.registry in workspace.yml), or remove it to carry images over SSH.`,
};

/** A built image the manager could not push to the swarm's registry. */
export class PushRefusedError extends EngineError {
  constructor(reference: string, cause: unknown, failure: PushFailure) {
    super(`Could not push ${reference}: ${messageOf(cause)}.`, {
      cause,
      hint: PUSH_HINTS[failure](registryOf(reference)),
    });
  }
}

/** The registry a reference names: its first part when that has a dot, a colon or is localhost; else Docker Hub. */
export function registryOf(reference: string): string {
  const first = reference.split('/')[0]!;
  return reference.includes('/') && (/[.:]/.test(first) || first === 'localhost') ? first : 'Docker Hub (docker.io)';
}

function messageOf(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  return (message.split('\n')[0] ?? '').replace(/^\(HTTP code \d+\)\s*[a-z ]*-\s*/, '').trim();
}

/** The engine builds only with the classic builder: no cache mounts, no BuildKit progress. */
export class BuildKitUnavailableError extends EngineError {
  constructor(
    readonly address: string,
    readonly reason: string,
    cause?: unknown,
  ) {
    super(`The Docker Engine at ${address} does not build with BuildKit (${reason}).`, {
      cause,
      hint: 'envctl builds with the classic builder there: package caches are not kept between builds.',
    });
  }
}

export const START_ENGINE =
  'Start the engine (sudo systemctl start docker, or dockerd), or point DOCKER_HOST at one that runs. "docker info" should answer.';

/** An engine that did not answer; one whose socket refused this user is another matter, with its own fix. */
export function engineUnreachable(address: string, cause: unknown, hint: string): EngineError {
  const error = cause as { code?: string; message?: string };
  if (error.code === 'EACCES' || error.code === 'EPERM')
    return new EngineError(`The Docker Engine at ${address} runs, but its socket refused you (permission denied).`, {
      cause,
      hint: 'You are not in the docker group: sudo usermod -aG docker $USER, then log in again (or run envctl with sudo).',
    });
  return new EngineError(`No Docker Engine answers at ${address} (${error.message ?? error.code}).`, { cause, hint });
}
