/** The composition root of the pipeline: the real edges (sockets, routes, nvidia-smi, the engine, state). */
import { join } from 'node:path';
import { NO_ENGINE, type EngineView } from '../engine/engine-view.js';
import { existsSync } from 'node:fs';
import { KernelRoutes, RemoteRoutes } from '../allocation/network/host-routes.js';
import { currentHostUser, type HostUser } from '../util/host-user.js';
import type { RenderEdges } from './render-workspace.js';
import { HostPortProbe, RemotePortProbe } from '../allocation/ports/probe.js';
import { NvidiaSmiProbe } from '../allocation/gpu/probe.js';
import { StateStore } from '../state/state-store.js';
import { BUILTIN_TEMPLATES } from '../templates/builtin.js';
import { loadWorkspace, type Workspace } from '../workspace/load.js';
import { findWorkspaceRoot } from '../workspace/root.js';
import { loadSettings, type WorkspaceSettings } from '../workspace/settings.js';
import {
  engineAddressOf,
  engineId,
  resolveEngineTarget,
  unknownTarget,
  type EngineTarget,
} from '../engine/engine-target.js';
import type { KeyTarget } from '../compose/service-keys.js';
import { SshHost } from '../engine/ssh-host.js';
import type { DockerEngine } from '../engine/docker-engine.js';
import { EngineError } from '../errors/envctl-error.js';
import {
  PROJECTS_FOLDER,
  REMOTE_DOTFILES,
  remoteBindSource,
  remoteRootOf,
  unsyncedBindSource,
  type RemoteLayout,
} from '../remote/remote-paths.js';
import type { SyncPair, SyncSpec } from '../remote/sync.js';

export function composeDirOf(root: string): string {
  return join(root, 'compose');
}

/** The workspace the current folder is in, or the one `--workspace` names, loaded. */
export function openWorkspace(workspaceOption: string | undefined): Workspace {
  const root = findWorkspaceRoot(process.cwd(), workspaceOption);
  return loadWorkspace(root, { builtinTemplates: BUILTIN_TEMPLATES });
}

/** The engine a command talks to, its id for per-engine state, and the SSH host behind it if any. */
export interface EngineChoice {
  target: EngineTarget;
  id: string;
  ssh: SshHost | undefined;
  /** The workspace the choice is for, when there is one (a cluster's settings are its workspace.yml's). */
  root?: string;
}

/** `--engine`, else workspace.yml's `engine:`, else what the docker CLI would use. */
export function engineChoice(settings: WorkspaceSettings | undefined, option: string | undefined): EngineChoice {
  const target = resolveEngineTarget({ option, setting: settings?.engine });
  const address = engineAddressOf(target);
  return { target, id: engineId(target), ssh: address.kind === 'ssh' ? new SshHost(address.ssh) : undefined };
}

/** The engine of the workspace at `root` (its workspace.yml, unless `--engine` says otherwise). */
export function engineChoiceAt(root: string, option: string | undefined): EngineChoice {
  return { ...engineChoice(option ? undefined : loadSettings(root), option), root };
}

/**
 * The workspace envctl runs in (or the one --workspace names) and its engine; outside a workspace, the one
 * --engine or Docker names: for the commands that work on a machine as much as on a workspace (gpus, prune).
 */
export function engineChoiceHere(
  workspaceOption: string | undefined,
  engineOption: string | undefined,
  /** A --workspace that names no workspace is none (doctor says so in a check of its own). */
  lenient = false,
): EngineChoice & { root: string | undefined } {
  let root: string | undefined;
  try {
    root = findWorkspaceRoot(process.cwd(), workspaceOption);
  } catch (error) {
    if (workspaceOption && !lenient) throw error;
  }
  return { ...(root ? engineChoiceAt(root, engineOption) : engineChoice(undefined, engineOption)), root };
}

/** Connects to the chosen engine (over SSH when it is remote). */
export async function connectEngineOf(choice: EngineChoice, timeoutMs?: number): Promise<DockerEngine> {
  const { connectDocker } = await import('../engine/engine-connect.js');
  return connectDocker({ target: choice.target, ssh: choice.ssh, ...(timeoutMs ? { timeoutMs } : {}) });
}

/** The state under compose/ of the workspace on the chosen engine. */
export function storeOf(root: string, choice: EngineChoice): StateStore {
  return new StateStore(composeDirOf(root), choice.id);
}

/** A server the workspace runs on over SSH: who the user is there and where the synced folders live. */
export interface RemoteServer {
  ssh: SshHost;
  user: HostUser;
  layout: RemoteLayout;
}

/** Asks the server, in one round trip, for its user's home, uid and gid. */
export async function remoteServerOf(workspace: Workspace, choice: EngineChoice): Promise<RemoteServer | undefined> {
  return choice.ssh && remoteServerAt(workspace, choice.ssh);
}

/** The server (or swarm node) `ssh` reaches: its user's home and ids, and where the synced folders live there. */
export async function remoteServerAt(workspace: Workspace, ssh: SshHost): Promise<RemoteServer> {
  await ssh.connect();
  const answer = await ssh.run('printf "%s\\n" "$HOME"; id -u; id -g');
  const [home, uid, gid] = answer.stdout.trim().split('\n');
  if (answer.exitCode !== 0 || !home || !uid || !gid) {
    throw new EngineError(
      `Asking ${ssh.hostName} for its user's home and ids failed: ${answer.stderr.trim() || answer.stdout.trim()}.`,
    );
  }
  const layout: RemoteLayout = {
    localRoot: workspace.root,
    remoteRoot: remoteRootOf(workspace.settings.remote.root, home),
    dotfiles: workspace.settings.dotfiles,
    hostName: ssh.hostName,
  };
  return { ssh, user: { uid: Number(uid), gid: Number(gid) }, layout };
}

/** What `up` and `envctl sync` sync: the listed projects' folders (or `only` of them), and the dotfiles. */
export function syncSpecOf(workspace: Workspace, server: RemoteServer, only?: ReadonlySet<string>): SyncSpec {
  const projects = workspace.projects.filter((project) => !only || only.has(project.name));
  const pairs: SyncPair[] = [];
  if (projects.length) {
    const paths = projects.map((project) => project.name);
    pairs.push({
      local: join(workspace.root, PROJECTS_FOLDER),
      remote: join(server.layout.remoteRoot, PROJECTS_FOLDER),
      paths,
    });
  }
  if (server.layout.dotfiles)
    pairs.push({ local: server.layout.dotfiles, remote: join(server.layout.remoteRoot, REMOTE_DOTFILES), paths: [] });
  return {
    host: server.ssh,
    pairs,
    ignore: workspace.settings.remote.ignore,
    stateDir: join(composeDirOf(workspace.root), 'sync'),
  };
}

/**
 * The real edges: probes of the host the engine runs on (this one, or the server over SSH), the engine when
 * one answers, state under compose/ kept per engine, and where that engine finds the project folders.
 */
export async function realEdges(
  workspace: Workspace,
  choice: EngineChoice = engineChoice(workspace.settings, undefined),
  engine?: EngineView,
  server?: RemoteServer,
): Promise<RenderEdges> {
  const store = storeOf(workspace.root, choice);
  const connected = engine ?? (await connectEngine(choice));
  const target = keyTargetOf(choice.target);
  if (choice.target.kind === 'ssh') {
    const remote = server ?? (await remoteServerOf(workspace, choice))!;
    return {
      ports: new RemotePortProbe(remote.ssh),
      gpus: new NvidiaSmiProbe(remote.ssh),
      engine: connected,
      routes: new RemoteRoutes(remote.ssh),
      store,
      user: remote.user,
      target,
      bindSource: remoteBindSource(remote.layout),
    };
  }
  const local = choice.target.kind === 'unix';
  const cluster = choice.target.kind === 'slurm';
  return {
    ports: local ? new HostPortProbe() : { isFree: () => Promise.resolve(true) },
    gpus: local
      ? new NvidiaSmiProbe()
      : { discover: () => Promise.resolve({ available: false, reason: cluster ? CLUSTER_GPUS : tcpNoProbe(choice) }) },
    engine: connected,
    routes: local ? new KernelRoutes() : { routes: () => Promise.resolve([]) },
    store,
    user: currentHostUser(),
    target,
    // A cluster's jobs find the project folders at their copy on its shared folder (envctl up maps them there).
    bindSource: local || cluster ? undefined : unsyncedBindSource(workspace.root, choice.target.url),
  };
}

/** Which column of the key table a target's projects are checked against. */
export function keyTargetOf(target: EngineTarget): KeyTarget {
  switch (target.kind) {
    case 'unix':
    case 'ssh':
    case 'tcp':
      return 'engine';
    case 'swarm':
      return 'swarm';
    case 'slurm':
      return 'slurm';
    default:
      return unknownTarget(target);
  }
}

/** Why render looks for no GPU on a cluster: Slurm gives each job its own. */
export const CLUSTER_GPUS = "a cluster's GPUs are Slurm's to give, job by job";

function tcpNoProbe(choice: EngineChoice): string {
  return `the engine at ${choice.target.url} is reached over TCP, where envctl cannot run nvidia-smi; use engine: ssh://user@host`;
}

/** The engine when one answers; dockerode is loaded only when there is an engine to try. */
async function connectEngine(choice: EngineChoice): Promise<EngineView> {
  if (choice.target.kind === 'unix' && !existsSync(choice.target.socket)) return NO_ENGINE;
  return connectEngineOf(choice, 1500).catch((error: unknown) => {
    // A remote engine that cannot be reached is the user's to know about; a local one may simply be off.
    if (choice.target.kind !== 'unix') throw error;
    return NO_ENGINE;
  });
}
