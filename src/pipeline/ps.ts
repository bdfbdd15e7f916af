import type { Engine } from '../engine/engine.js';
import { LABEL } from '../model/labels.js';
import { displayAddress } from './summary.js';
import { portKey } from '../allocation/ports/port-request.js';
import { acceptsConnection } from '../util/accepts-connection.js';

export interface PsRow {
  project: string;
  service: string;
  container: string;
  state: string;
  health: string | null;
  urls: string[];
  gpus: string | null;
  networks: Array<{ name: string; subnet: string | null }>;
  /** On a server: each TCP port's two ends, and whether the laptop's end (envctl up or tunnel) is open now. */
  forwards: Array<{ here: string | null; server: string; open: boolean }>;
}

/** A server's name and the forwards recorded for its ports (compose/tunnels@<engine>.json). */
export interface ServerPorts {
  hostName: string;
  forwards: ReadonlyArray<{ key: string; local: number; remote: number }>;
}

/** What the engine runs for the workspace at `root`, read from its labels: one row a container, sorted. */
export async function workspaceRows(engine: Engine, root: string, server?: ServerPorts): Promise<PsRow[]> {
  const [containers, networks] = await Promise.all([engine.containers(LABEL.root, root), engine.networks()]);
  const subnets = new Map(networks.map((network) => [network.name, network.subnets[0] ?? null]));
  const rows: PsRow[] = await Promise.all(
    containers.map(async (container) => {
      const info = await engine.inspectContainer(container.id);
      const requests = (info.HostConfig?.DeviceRequests ?? []) as Array<{
        Count?: number;
        DeviceIDs?: string[] | null;
      }>;
      const project = container.labels[LABEL.project] ?? '';
      const service = container.labels[LABEL.service] ?? '';
      const tcp = container.ports.filter((port) => port.protocol === 'tcp');
      const forwards = server
        ? await Promise.all(
            tcp.map(async (port) => {
              const key = portKey(project, service, port.containerPort, port.protocol);
              const forward = server.forwards.find((f) => f.key === key && f.remote === port.hostPort);
              return {
                here: forward ? `127.0.0.1:${forward.local}` : null,
                server: `${server.hostName}:${port.hostPort}`,
                open: forward ? await acceptsConnection(forward.local) : false,
              };
            }),
          )
        : [];
      return {
        project,
        service,
        container: container.name,
        state: container.state,
        health: info.State?.Health?.Status ?? null,
        urls: server
          ? forwards.filter((forward) => forward.here && forward.open).map((forward) => `http://${forward.here}/`)
          : tcp.map((port) => `http://${displayAddress(port.hostIp || '0.0.0.0')}:${port.hostPort}/`),
        forwards,
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
