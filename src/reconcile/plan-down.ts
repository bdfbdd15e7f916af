import type { Observed, ObservedContainer, ObservedVolume } from '../engine/observed.js';
import { LABEL } from '../model/labels.js';
import type { NetworkRemoval } from './plan.js';

export interface DownOptions {
  /** Only these projects go; the whole workspace when absent. */
  only?: ReadonlySet<string>;
  /** Named volumes go too. */
  volumes?: boolean;
}

export interface DownPlan {
  /** Stopped when running, then removed. */
  containers: ObservedContainer[];
  /** After the containers; one still in use by containers envctl did not make is left in place. */
  networks: NetworkRemoval[];
  volumes: ObservedVolume[];
}

/**
 * The teardown decision of `envctl down`, by the engine's labels alone: the workspace's containers (or the named
 * projects'), the networks envctl made for them (the workspace's own network only when no project is left on
 * it), and named volumes only when asked. Pure.
 */
export function planDown(
  observed: Pick<Observed, 'containers' | 'networks' | 'volumes'>,
  root: string,
  options: DownOptions,
): DownPlan {
  const inScope = (labels: Record<string, string>) => !options.only || options.only.has(labels[LABEL.project] ?? '');
  const ours = (labels: Record<string, string>) => labels[LABEL.root] === root;
  const containers = observed.containers.filter((container) => ours(container.labels) && inScope(container.labels));
  const staying = observed.containers.filter((container) => ours(container.labels) && !inScope(container.labels));
  const networks = observed.networks
    .filter((network) => ours(network.labels))
    .filter((network) => {
      const isWorkspaceNetwork = network.labels[LABEL.project] === undefined;
      return isWorkspaceNetwork ? staying.length === 0 : inScope(network.labels);
    })
    .map((network): NetworkRemoval => ({ network, ifInUse: 'keep' }));
  const volumes = options.volumes
    ? observed.volumes.filter((volume) => ours(volume.labels) && inScope(volume.labels))
    : [];
  return { containers, networks, volumes };
}
