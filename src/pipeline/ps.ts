import type { Engine } from '../engine/engine.js';
import { LABEL } from '../model/labels.js';
import { displayAddress } from './summary.js';

export interface PsRow {
  project: string;
  service: string;
  container: string;
  state: string;
  health: string | null;
  urls: string[];
  gpus: string | null;
  networks: Array<{ name: string; subnet: string | null }>;
}

/** What the engine runs for the workspace at `root`, read from its labels: one row a container, sorted. */
export async function workspaceRows(engine: Engine, root: string): Promise<PsRow[]> {
  const [containers, networks] = await Promise.all([engine.containers(LABEL.root, root), engine.networks()]);
  const subnets = new Map(networks.map((network) => [network.name, network.subnets[0] ?? null]));
  const rows: PsRow[] = await Promise.all(
    containers.map(async (container) => {
      const info = await engine.inspectContainer(container.id);
      const requests = (info.HostConfig?.DeviceRequests ?? []) as Array<{
        Count?: number;
        DeviceIDs?: string[] | null;
      }>;
      return {
        project: container.labels[LABEL.project] ?? '',
        service: container.labels[LABEL.service] ?? '',
        container: container.name,
        state: container.state,
        health: info.State?.Health?.Status ?? null,
        urls: container.ports
          .filter((port) => port.protocol === 'tcp')
          .map((port) => `http://${displayAddress(port.hostIp || '0.0.0.0')}:${port.hostPort}/`),
        gpus: requests.length
          ? requests
              .map((r) => (r.DeviceIDs?.length ? r.DeviceIDs.join(',') : r.Count === -1 ? 'all' : String(r.Count)))
              .join(',')
          : null,
        networks: container.networks.map((name) => ({ name, subnet: subnets.get(name) ?? null })),
      };
    }),
  );
  return rows.sort((a, b) => (a.project + a.service < b.project + b.service ? -1 : 1));
}
