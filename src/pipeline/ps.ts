import type { ContainerInspect, Engine } from '../engine/engine.js';
import type { ObservedContainer } from '../engine/observed.js';
import { LABEL } from '../model/labels.js';
import { displayAddress } from '../util/display-address.js';
import { labelledUrl } from '../render/port-url.js';
import { portKey } from '../allocation/ports/port-request.js';
import { acceptsConnection } from '../util/accepts-connection.js';

export interface PsRow {
  project: string;
  service: string;
  container: string;
  state: string;
  /** The exit code of its last run, for a container that is not running. */
  exitCode: number | null;
  /** How often the engine restarted it (its restart policy). */
  restarts: number;
  health: string | null;
  urls: string[];
  gpus: string | null;
  networks: Array<{ name: string; subnet: string | null }>;
  /** On a server: each TCP port's two ends, and whether the laptop's end (envctl up or tunnel) is open now. */
  forwards: Array<{ here: string | null; server: string; open: boolean; url: string | null }>;
}

/** A server's name and the forwards recorded for its ports (compose/tunnels@<engine>.json). */
export interface ServerPorts {
  hostName: string;
  forwards: ReadonlyArray<{ key: string; local: number; remote: number }>;
}

/** What the engine runs for the workspace at `root`, read from its labels: one row a container, sorted. */
export async function workspaceRows(
  engine: Engine,
  root: string,
  secrets: ReadonlyMap<string, Record<string, string>>,
  server?: ServerPorts,
): Promise<PsRow[]> {
  const [containers, networks] = await Promise.all([engine.containers(LABEL.root, root), engine.networks()]);
  const subnets = new Map(networks.map((network) => [network.name, network.subnets[0] ?? null]));
  const rows: PsRow[] = await Promise.all(
    containers.map(async (container) => {
      const info = await engine.inspectContainer(container.id);
      const project = container.labels[LABEL.project] ?? '';
      const service = container.labels[LABEL.service] ?? '';
      const tcp = container.ports.filter((port) => port.protocol === 'tcp');
      const urlAt: UrlAt = (port, host) => labelledUrl(container.labels, port, secrets.get(project) ?? {}, host);
      const forwards = server
        ? await Promise.all(tcp.map((port) => forwardOf(server, project, service, port, urlAt)))
        : [];
      // One read of the state: the list's may be older than the inspect's (a crash-looping container).
      const state = info.State?.Status ?? container.state;
      const exited = state !== 'running' && state !== 'created';
      return {
        project,
        service,
        container: container.name,
        state,
        exitCode: exited ? (info.State?.ExitCode ?? null) : null,
        restarts: info.RestartCount ?? 0,
        health: info.State?.Health?.Status ?? null,
        urls: server
          ? forwards.flatMap((forward) => (forward.open && forward.url ? [forward.url] : []))
          : tcp.map((port) => urlAt(port, `${displayAddress(port.hostIp || '0.0.0.0')}:${port.hostPort}`)),
        forwards,
        gpus: gpusOf(info),
        networks: container.networks.map((name) => ({ name, subnet: subnets.get(name) ?? null })),
      };
    }),
  );
  return rows.sort((a, b) => (a.project + a.service < b.project + b.service ? -1 : 1));
}

type Forward = PsRow['forwards'][number];
type ObservedPort = ObservedContainer['ports'][number];
/** A port's URL (its token filled in) where the browser reaches it: host:port. */
type UrlAt = (port: ObservedPort, host: string) => string;

/** A server's port and the laptop's end of its forward, with the URL (its token too) at that end. */
async function forwardOf(
  server: ServerPorts,
  project: string,
  service: string,
  port: ObservedPort,
  urlAt: UrlAt,
): Promise<Forward> {
  const key = portKey(project, service, port.containerPort, port.protocol);
  const forward = server.forwards.find((f) => f.key === key && f.remote === port.hostPort);
  return {
    here: forward ? `127.0.0.1:${forward.local}` : null,
    server: `${server.hostName}:${port.hostPort}`,
    open: forward ? await acceptsConnection(forward.local) : false,
    url: forward ? urlAt(port, `127.0.0.1:${forward.local}`) : null,
  };
}

function gpusOf(info: ContainerInspect): string | null {
  const requests = (info.HostConfig?.DeviceRequests ?? []) as Array<{ Count?: number; DeviceIDs?: string[] | null }>;
  if (!requests.length) return null;
  return requests
    .map((r) => (r.DeviceIDs?.length ? r.DeviceIDs.join(',') : r.Count === -1 ? 'all' : String(r.Count)))
    .join(',');
}
