import { isAbsolute, join, relative, sep } from 'node:path';
import type { SwarmNode } from '../engine/swarm.js';
import type { ReachedNode } from '../engine/swarm-nodes.js';
import { EngineError, InputError } from '../errors/envctl-error.js';
import { PROJECTS_FOLDER, remoteBindSource } from '../remote/remote-paths.js';
import type { Placement } from '../reconcile/swarm-desired.js';
import { folderNode, runningNodeOf, type SwarmNow } from '../reconcile/swarm-folders.js';
import type { Workspace } from '../workspace/load.js';
import { remoteServerAt, type EngineChoice, type RemoteServer } from './edges.js';
import { RemoteSession, type SyncEvents } from './remote-session.js';
import type { SyncReport } from '../remote/sync.js';
import { LABEL, SWARM_SYNCED_FOLDER } from '../model/labels.js';

/** A node envctl can put project folders on: one reached over SSH, or this machine itself (no copy needed). */
interface FolderHost {
  node: SwarmNode;
  server: RemoteServer | undefined;
}

/**
 * Project folders on a swarm: a project that mounts its folder is pinned to one node, its folder synced there
 * (as for a remote server) before its task starts, and its bind mounts point at that copy. A project whose task
 * moves to another node has its folder brought back from the node it ran on first.
 */
export class SwarmFolders {
  private readonly chosen = new Map<string, FolderHost>();

  private constructor(
    private readonly workspace: Workspace,
    private readonly hosts: ReadonlyMap<string, FolderHost>,
    private readonly now: SwarmNow,
    private readonly choice: EngineChoice,
  ) {}

  /**
   * The nodes reached over SSH (or this machine) take project folders; one that could not be reached (said by
   * the caller), or whose home cannot be read (said here), takes none.
   */
  static async open(
    workspace: Workspace,
    choice: EngineChoice,
    nodes: readonly ReachedNode[],
    now: SwarmNow,
    warning: (text: string) => void,
  ): Promise<SwarmFolders> {
    const hosts = await Promise.all(
      nodes.map(async ({ node, reached }): Promise<FolderHost | undefined> => {
        if (reached instanceof Error) return undefined;
        if (reached === 'this machine') return { node, server: undefined };
        try {
          return { node, server: await remoteServerAt(workspace, reached) };
        } catch (error) {
          warning(`node ${node.hostname} takes no project folder: ${(error as Error).message.trim()}`);
          return undefined;
        }
      }),
    );
    const reachable = hosts.filter((host): host is FolderHost => host !== undefined);
    return new SwarmFolders(workspace, new Map(reachable.map((host) => [host.node.id, host])), now, choice);
  }

  /** Where a node finds a path a bind mount names: a project folder's copy on the node its project runs on. */
  readonly bindSource = (path: string): string => {
    const project = this.projectOf(path);
    if (project === undefined) return this.outsideProjects(path);
    const host = this.hostFor(project);
    return host.server ? remoteBindSource(host.server.layout)(path) : path;
  };

  /** The placements, with each project that mounts its folder pinned to the node chosen for it. */
  pinned(placements: ReadonlyMap<string, Placement>): Map<string, Placement> {
    const result = new Map(placements);
    for (const [project, host] of this.chosen) {
      const placement = placements.get(project) ?? { node: undefined, labels: {} };
      result.set(project, { ...placement, node: host.node.hostname, syncedFolder: true });
    }
    return result;
  }

  /**
   * Before the services change: each folder of a project that moves is brought back from the node it ran on,
   * then each is synced with its node (`only` of them, when given).
   */
  async sync(only: ReadonlySet<string> | undefined, events: SyncEvents): Promise<void> {
    for (const [project, host] of this.chosenOf(only)) {
      const ranOn = this.hosts.get(runningNodeOf(project, this.now) ?? '');
      if (ranOn && ranOn.node.id !== host.node.id) await this.syncWith(ranOn, [project], events);
    }
    for (const session of this.sessions(only, events)) await session.sync();
  }

  /**
   * One sync session per node that takes project folders (`only` of them), over SSH: `up` in the foreground
   * keeps each running. This machine's own node needs none.
   */
  sessions(only: ReadonlySet<string> | undefined, events: SyncEvents): RemoteSession[] {
    const byNode = new Map<FolderHost, string[]>();
    for (const [project, host] of this.chosenOf(only)) byNode.set(host, [...(byNode.get(host) ?? []), project]);
    return [...byNode]
      .filter(([host]) => host.server)
      .map(
        ([host, projects]) => new RemoteSession(this.workspace, host.server!, this.choice, new Set(projects), events),
      );
  }

  private chosenOf(only: ReadonlySet<string> | undefined): Array<[string, FolderHost]> {
    return [...this.chosen].filter(([project]) => !only || only.has(project));
  }

  /**
   * envctl sync on a swarm: each project whose service mounts its folder (of `only`), with the node its task
   * runs on now, both ways, once.
   */
  async syncWhereRunning(
    only: ReadonlySet<string> | undefined,
    events: SyncEvents,
  ): Promise<Array<{ host: string; report: SyncReport }>> {
    const synced = this.now.services.filter(
      (service) => service.labels[LABEL.root] === this.now.root && service.labels[SWARM_SYNCED_FOLDER] === 'true',
    );
    const byNode = new Map<FolderHost, string[]>();
    for (const service of synced) {
      const project = service.labels[LABEL.project] ?? '';
      const host = this.hosts.get(runningNodeOf(project, this.now) ?? '');
      if (!host || (only && !only.has(project))) continue;
      byNode.set(host, [...(byNode.get(host) ?? []), project]);
    }
    const reports: Array<{ host: string; report: SyncReport }> = [];
    for (const [host, projects] of byNode) {
      const report = await this.syncWith(host, projects, events);
      if (report) reports.push({ host: host.node.hostname, report });
    }
    return reports;
  }

  private async syncWith(host: FolderHost, projects: string[], events: SyncEvents): Promise<SyncReport | undefined> {
    if (!host.server) return undefined; // this machine: the task mounts the folder itself
    const session = new RemoteSession(this.workspace, host.server, this.choice, new Set(projects), events);
    return session.sync();
  }

  private hostFor(name: string): FolderHost {
    const known = this.chosen.get(name);
    if (known) return known;
    const project = this.workspace.projects.find((candidate) => candidate.name === name);
    const gpus = project?.gpus.kind === 'count' ? project.gpus.count : 0;
    const placement = { ...(project?.placement ?? { node: undefined, labels: {} }) };
    const reachable = [...this.hosts.values()].map((host) => host.node);
    const node = folderNode({ name, placement, gpus }, reachable, this.now);
    const host = node && this.hosts.get(node.id);
    if (!host) throw noNodeFor(name, placement, reachable);
    this.chosen.set(name, host);
    return host;
  }

  private projectOf(path: string): string | undefined {
    const rel = relative(join(this.workspace.root, PROJECTS_FOLDER), path);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
    return rel.split(sep)[0];
  }

  /** Outside the workspace, a path is the node's own (as with DOCKER_HOST); inside, only project folders sync. */
  private outsideProjects(path: string): string {
    const rel = relative(this.workspace.root, path);
    if (rel.startsWith('..') || isAbsolute(rel)) return path;
    throw new InputError(
      `A bind mount names ${path}, which is in the workspace but not in a project folder: only project folders are ` +
        'synced to the swarm node a project runs on, so the engine there would not find it.',
      { hint: `Move the files into the project's folder (projects/<name>/) and mount them from there.` },
    );
  }
}

function noNodeFor(project: string, placement: Placement, reachable: readonly SwarmNode[]): EngineError {
  const names = reachable.map((node) => node.hostname).join(', ') || 'none';
  return new EngineError(
    `Project "${project}" mounts its folder, and no node it may run on can take it: ` +
      `${placement.node ? `its placement names ${placement.node}, ` : ''}nodes reached over SSH: ${names}.`,
    {
      hint: 'envctl syncs a project folder to the node its task runs on over SSH ("ssh <node>" must work from here), and that node must have the GPUs the project asks for free.',
    },
  );
}
