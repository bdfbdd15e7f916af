import { LocalCommands } from '../engine/local-commands.js';
import { SshHost } from '../engine/ssh-host.js';
import { SlurmCommands } from '../engine/slurm-commands.js';
import type { Slurm } from '../engine/slurm.js';
import type { SlurmTarget } from '../engine/engine-target.js';
import { EngineError } from '../errors/envctl-error.js';
import { jobPrefix } from '../reconcile/slurm-desired.js';
import { remoteBindSource, remoteRootOf } from '../remote/remote-paths.js';
import type { StreamingHost } from '../util/host-commands.js';
import { SLURM_RUNTIMES, type SlurmRuntime } from '../workspace/settings.js';
import type { Workspace } from '../workspace/load.js';
import type { EngineChoice, RemoteServer } from './edges.js';

/** A Slurm cluster as a workspace uses it: its login node, the shared folder, the runtime, the job names. */
export interface SlurmSite {
  slurm: Slurm;
  host: StreamingHost;
  /** The workspace's folder on the shared filesystem (absolute). */
  root: string;
  runtime: SlurmRuntime;
  /** How the runtime was chosen, for doctor and messages. */
  runtimeFrom: 'workspace.yml' | 'found on the cluster';
  /** The start of every job name of the workspace. */
  prefix: string;
  /** The login node over SSH, whose copy of the project folders envctl syncs; none when this machine is it. */
  server: RemoteServer | undefined;
  /** Where a job finds a bind mount's path: a project folder's copy on the shared folder. */
  bindSource: ((path: string) => string) | undefined;
}

/** The commands each runtime is found by, in the order one is chosen when the cluster has several. */
const RUNTIME_COMMANDS: Record<SlurmRuntime, string> = {
  apptainer: 'apptainer',
  enroot: 'enroot',
  charliecloud: 'ch-run',
};

/** Reaches the cluster's login node (or this machine), once: its user's home, the runtime, the shared folder. */
export async function reachSite(
  workspace: Pick<Workspace, 'root' | 'settings'>,
  choice: EngineChoice,
): Promise<SlurmSite> {
  const target = choice.target as SlurmTarget;
  const ssh = target.login ? new SshHost(target.login) : undefined;
  const host: StreamingHost = ssh ?? new LocalCommands();
  await ssh?.connect();
  const probe = `printf "%s\\n" "$HOME"; id -u; id -g; for c in ${SLURM_RUNTIMES.map((r) => RUNTIME_COMMANDS[r]).join(' ')}; do command -v "$c" >/dev/null && echo "$c"; done; true`;
  const answer = await host.run(probe);
  const [home, uid, gid, ...found] = answer.stdout.trim().split('\n');
  if (answer.exitCode !== 0 || !home || !uid || !gid)
    throw new EngineError(
      `Asking ${host.hostName} for its user's home failed: ${answer.stderr.trim() || 'no answer'}.`,
    );
  const settings = workspace.settings.slurm;
  const runtime = settings.runtime ?? SLURM_RUNTIMES.find((name) => found.includes(RUNTIME_COMMANDS[name]));
  if (!runtime) {
    throw new EngineError(
      `${host.hostName} has none of the container runtimes envctl runs jobs with (apptainer, enroot, ch-run of Charliecloud).`,
      {
        hint: 'Load the module that brings one (e.g. "module load apptainer" in ~/.bashrc), or ask the cluster\'s admins which one it has.',
      },
    );
  }
  const root = remoteRootOf(settings.root, home);
  const layout = { localRoot: workspace.root, remoteRoot: root, dotfiles: undefined, hostName: host.hostName };
  const server = ssh ? { ssh, user: { uid: Number(uid), gid: Number(gid) }, layout } : undefined;
  return {
    slurm: new SlurmCommands(host),
    host,
    root,
    runtime,
    runtimeFrom: settings.runtime ? 'workspace.yml' : 'found on the cluster',
    prefix: jobPrefix(workspace.root, workspace.settings.name),
    server,
    bindSource: server ? remoteBindSource(layout) : undefined,
  };
}
