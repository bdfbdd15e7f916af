import { HostPortProbe } from '../allocation/ports/probe.js';
import type { Engine } from '../engine/engine.js';
import { portKey, type PortGrant } from '../allocation/ports/port-request.js';
import { LABEL } from '../model/labels.js';
import { conflictCopyPattern, syncContinuously, syncOnce, type SyncReport } from '../remote/sync.js';
import { chooseForwards, readForwards, TunnelKeeper, type Forward } from '../remote/tunnels.js';
import type { Workspace } from '../workspace/load.js';
import type { WorkspaceSettings } from '../workspace/settings.js';
import { composeDirOf, syncSpecOf, type EngineChoice, type RemoteServer } from './edges.js';
import type { ServerView } from './summary.js';

export interface SyncEvents {
  /** A line about what the sync did (files carried, conflicts). */
  synced(lines: string[]): void;
  warning(message: string): void;
}

/** Syncs the listed projects' folders (and the dotfiles) with the server once, before containers start. */
export async function syncProjects(
  workspace: Workspace,
  server: RemoteServer,
  only: ReadonlySet<string> | undefined,
  events: SyncEvents,
): Promise<SyncReport> {
  const report = await syncOnce(syncSpecOf(workspace, server, only));
  reportSync(report, server, events);
  return report;
}

/** Keeps syncing while `up` stays in the foreground. */
export function keepSyncing(
  workspace: Workspace,
  server: RemoteServer,
  only: ReadonlySet<string> | undefined,
  events: SyncEvents,
): { stop(): void } {
  return syncContinuously(
    syncSpecOf(workspace, server, only),
    (report) => reportSync(report, server, events),
    (error) => events.warning(`syncing with ${server.ssh.hostName} failed: ${error.message}`),
  );
}

function reportSync(report: SyncReport, server: RemoteServer, events: SyncEvents): void {
  const host = server.ssh.hostName;
  const carried = report.items.filter((item) => !report.conflicts.includes(item.path));
  if (carried.length) {
    const toServer = carried.filter((item) => item.direction.endsWith('>')).length;
    events.synced([`synced with ${host}: ${toServer} to the server, ${carried.length - toServer} from it`]);
  }
  for (const path of new Set(report.conflicts)) {
    events.warning(
      `${path} changed both here and on ${host}: the newer version is in place on both sides and the other is kept beside it ` +
        `as "${conflictCopyPattern(path)}". Compare them, keep what you want and delete the copy.`,
    );
  }
}

/** Chooses the laptop ends of a server's ports (the laptop's listeners count) and keeps their forwards open. */
export function tunnelKeeper(workspace: Workspace, server: RemoteServer, choice: EngineChoice): TunnelKeeper {
  return new TunnelKeeper(server.ssh, (grants) =>
    chooseForwards({
      grants,
      composeDir: composeDirOf(workspace.root),
      engine: choice.id,
      range: workspace.settings.ports.range,
      probe: new HostPortProbe(),
    }),
  );
}

export function serverView(hostName: string, forwards: readonly Forward[]): ServerView {
  return { hostName, forwards: new Map(forwards.map((forward) => [forward.key, forward.local])) };
}

/** The ports the server's engine publishes for the workspace, from its containers' labels (for `envctl tunnel`). */
export async function publishedOnServer(
  engine: Engine,
  root: string,
  settings: WorkspaceSettings,
): Promise<PortGrant[]> {
  const containers = await engine.containers(LABEL.root, root);
  return containers
    .filter((container) => container.state === 'running')
    .flatMap((container) => {
      const project = container.labels[LABEL.project] ?? '';
      const service = container.labels[LABEL.service] ?? '';
      return container.ports.map((port) => ({
        key: portKey(project, service, port.containerPort, port.protocol),
        project,
        service,
        name: `${service}-${port.containerPort}`,
        container: port.containerPort,
        protocol: port.protocol === 'udp' ? ('udp' as const) : ('tcp' as const),
        preferred: undefined,
        bind: port.hostIp || settings.ports.bind,
        url: undefined,
        host: port.hostPort,
      }));
    });
}

/** The forwards recorded for the workspace's engine: what `ps` shows as the laptop's end. */
export function recordedForwards(root: string, choice: EngineChoice): Forward[] {
  return readForwards(composeDirOf(root), choice.id);
}
