import { HostPortProbe } from '../allocation/ports/probe.js';
import type { Engine } from '../engine/engine.js';
import { portKey, type PortGrant } from '../allocation/ports/port-request.js';
import { LABEL } from '../model/labels.js';
import { conflictCopyPattern, syncContinuously, syncOnce, type SyncReport } from '../remote/sync.js';
import { chooseForwards, readForwards, TunnelKeeper, type Forward } from '../remote/tunnels.js';
import type { Workspace } from '../workspace/load.js';
import type { WorkspaceSettings } from '../workspace/settings.js';
import { InputError } from '../errors/envctl-error.js';
import { composeDirOf, remoteServerOf, syncSpecOf, type EngineChoice, type RemoteServer } from './edges.js';
import type { ServerView } from './summary.js';

export interface SyncEvents {
  /** A line about what the sync did (files carried, conflicts). */
  synced(lines: string[]): void;
  warning(message: string): void;
}

/**
 * The SSH side of a workspace on a server, used by whichever deployment runs over SSH: the project folders
 * synced once before containers start, kept in sync while it runs, and the server's ports forwarded to this
 * machine; stop ends both.
 */
export class RemoteSession {
  private syncing: { stop(): Promise<void> } | undefined;
  private tunnels: TunnelKeeper | undefined;

  constructor(
    private readonly workspace: Workspace,
    readonly server: RemoteServer,
    private readonly choice: EngineChoice,
    /** The projects whose folders it syncs (all listed, when undefined). */
    readonly only: ReadonlySet<string> | undefined,
    private readonly events: SyncEvents,
  ) {}

  get hostName(): string {
    return this.server.ssh.hostName;
  }

  /** Syncs the listed projects' folders (and the dotfiles) with the server once. */
  async sync(): Promise<SyncReport> {
    const report = await syncOnce(syncSpecOf(this.workspace, this.server, this.only));
    this.report(report);
    return report;
  }

  /** Keeps syncing until stop: `up` in the foreground. */
  start(): void {
    this.syncing ??= syncContinuously(
      syncSpecOf(this.workspace, this.server, this.only),
      (report) => this.report(report),
      (error) => this.events.warning(`syncing with ${this.hostName} failed: ${error.message}`),
    );
  }

  /**
   * Opens (or moves) the forwards of the ports granted on the server: the laptop ends chosen with the
   * laptop's listeners counted; UDP ones, which SSH cannot carry, are returned apart.
   */
  forward(grants: readonly PortGrant[]): Promise<{ forwards: Forward[]; udp: PortGrant[]; changed: boolean }> {
    this.tunnels ??= new TunnelKeeper(this.server.ssh, (granted) =>
      chooseForwards({
        grants: granted,
        composeDir: composeDirOf(this.workspace.root),
        engine: this.choice.id,
        range: this.workspace.settings.ports.range,
        probe: new HostPortProbe(),
      }),
    );
    return this.tunnels.update(grants);
  }

  /** What the summary says of the server: its name and the laptop end of each forward. */
  view(forwards: readonly Forward[]): ServerView {
    return serverView(this.hostName, forwards);
  }

  /** Ends the continuous sync (once a round under way is over); the forwards stay. */
  async stopSyncing(): Promise<void> {
    const syncing = this.syncing;
    this.syncing = undefined;
    await syncing?.stop();
  }

  async stop(): Promise<void> {
    await this.stopSyncing();
    await this.tunnels?.stop();
    this.tunnels = undefined;
  }

  private report(report: SyncReport): void {
    const host = this.hostName;
    const carried = report.items.filter((item) => !report.conflicts.includes(item.path));
    if (carried.length) {
      const toServer = carried.filter((item) => item.direction.endsWith('>')).length;
      this.events.synced([`synced with ${host}: ${toServer} to the server, ${carried.length - toServer} from it`]);
    }
    for (const path of new Set(report.conflicts)) {
      this.events.warning(
        `${path} changed both here and on ${host}: the newer version is in place on both sides and the other is kept beside it ` +
          `as "${conflictCopyPattern(path)}". Compare them, keep what you want and delete the copy.`,
      );
    }
  }
}

/** The remote session of a workspace whose engine is reached over SSH; undefined for any other target. */
export async function remoteSessionOf(
  workspace: Workspace,
  choice: EngineChoice,
  only: ReadonlySet<string> | undefined,
  events: SyncEvents,
): Promise<RemoteSession | undefined> {
  const server = await remoteServerOf(workspace, choice);
  return server && new RemoteSession(workspace, server, choice, only, events);
}

/** For the commands that only make sense over SSH (sync, tunnel): the session, or a refusal that says so. */
export async function requiredRemoteSession(
  workspace: Workspace,
  choice: EngineChoice,
  command: string,
  only: ReadonlySet<string> | undefined,
  events: SyncEvents,
): Promise<RemoteSession> {
  const session = await remoteSessionOf(workspace, choice, only, events);
  if (session) return session;
  throw new InputError(
    `envctl ${command} works with a workspace on a server over SSH or on a swarm, and this one runs on ${choice.target.url}.`,
    { hint: 'Name the server in workspace.yml (engine: ssh://user@host) or with --engine ssh://user@host.' },
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
