import type { ObservedNetwork } from '../engine/observed.js';
import type { PublishedPort, RunningContainer } from '../engine/engine-view.js';
import type { Grant } from '../model/grant.js';
import { GPU_LABEL, LABEL } from '../model/labels.js';
import type { PortRequest } from './ports/port-request.js';

/**
 * What the engine's labels say this workspace was granted, for seedGrants (allocate.ts) to fill in what the
 * state under compose/ lost: one reader per kind, the same shape for all.
 */
export type IsOurs = (labels: Record<string, string>) => boolean;

/** The host ports our containers publish, under the key of the request that asked for them. */
export function portGrantsOnEngine(
  enginePorts: ReadonlyMap<number, string | undefined>,
  requests: readonly PortRequest[],
): Array<Grant<number>> {
  return [...enginePorts].flatMap(([port, key]) => {
    const request = key === undefined ? undefined : requests.find((candidate) => candidate.key === key);
    return request ? [{ key: request.key, value: port, signature: `${request.preferred ?? ''}` }] : [];
  });
}

/** Host port → the key of our request that holds it, or undefined where someone else's container does. */
export function enginePortOwners(
  published: readonly PublishedPort[],
  isOurs: IsOurs,
  keyOf: (project: string, service: string, privatePort: number, protocol: string) => string,
): Map<number, string | undefined> {
  const owners = new Map<number, string | undefined>();
  for (const port of published) {
    const { labels } = port;
    const project = labels[LABEL.project] ?? '';
    owners.set(
      port.port,
      isOurs(labels) ? keyOf(project, labels[LABEL.service] ?? '', port.privatePort, port.protocol) : undefined,
    );
  }
  return owners;
}

/** The IPv4 subnets of our networks, under their network keys. */
export function networkGrantsOnEngine(networks: readonly ObservedNetwork[], isOurs: IsOurs): Array<Grant<string>> {
  return networks.flatMap((network) => {
    const key = network.labels[LABEL.network];
    const subnet = network.subnets.find((candidate) => !candidate.includes(':'));
    return key && subnet && isOurs(network.labels) ? [{ key, value: subnet, signature: '' }] : [];
  });
}

/** The GPUs our running containers hold alone (their dev.envctl.gpus labels), as "<project>/gpu/<i>". */
export function gpuGrantsOnEngine(running: readonly RunningContainer[], isOurs: IsOurs): Array<Grant<string>> {
  return running.flatMap(({ labels }) => {
    const project = labels[LABEL.project];
    if (!project || !isOurs(labels) || labels[GPU_LABEL.sharing] !== 'exclusive') return [];
    const ids = (labels[GPU_LABEL.gpus] ?? '').split(',').filter(Boolean);
    return ids.map((id, i) => ({ key: `${project}/gpu/${i}`, value: id, signature: `count:${ids.length}` }));
  });
}

/** A project's GPU grants are kept or made again together. */
export const gpuGroup = (key: string): string => key.split('/')[0]!;
