import type { DockerEngine } from '../engine/docker-engine.js';
import type { ExecIo, LogOptions, LogStream } from '../engine/engine.js';
import type { ExecRequest } from './exec.js';
import type { SettleOptions } from '../execute/settle.js';
import type { PortGrant } from '../allocation/ports/port-request.js';
import type { SyncReport } from '../remote/sync.js';
import type { TeardownFailure } from '../execute/teardown.js';
import type { Forward } from '../remote/tunnels.js';
import type { Workspace } from '../workspace/load.js';
import type { Check } from './doctor-check.js';
import type { GpuRow } from './gpus.js';
import type { LinePrinter } from './logs.js';
import type { PsRow, ServerPorts } from './ps.js';
import type { SyncEvents } from './remote-session.js';
import type { ProjectSummary } from './summary.js';
import type { SwarmGpuRow, SwarmRow } from './swarm-rows.js';
import type { SlurmRow } from './slurm-rows.js';
import type { WatchEvents } from './up-session.js';

/**
 * Where a workspace runs, as the commands see it: one implementation per kind of engine target
 * (engine-target.ts), chosen once by deploymentOf (edges.ts). The CLI asks it and prints what it reports.
 */
export interface Deployment {
  /** envctl up; resolves once up is over: at once when detached, else when interrupted or all stopped. */
  up(workspace: Workspace, request: UpRequest, view: UpView): Promise<UpEnd>;
  /** envctl down; resolves to how many things were removed. */
  down(root: string, request: DownRequest, view: DownView): Promise<number>;
  /** envctl ps */
  ps(root: string): Promise<PsReport>;
  /** envctl gpus */
  gpus(): Promise<GpuReport>;
  /** envctl logs: the output of the targets' containers (all when none), followed with `follow`. */
  logs(root: string, targets: readonly string[], options: LogOptions, printer: LinePrinter): Promise<LogStream[]>;
  /** envctl exec and shell: the command in the target's container ("project" or "project/service"); its status. */
  exec(root: string, request: ExecRequest, io: ExecIo): Promise<number>;
  /** envctl restart: the named projects (all when none), each watched until it is up again or fails. */
  restart(root: string, projects: readonly string[], request: RestartRequest): Promise<void>;
  /** envctl sync: the project folders with where they run, both ways, once; what each host carried. */
  sync(workspace: Workspace, only: ReadonlySet<string> | undefined, events: SyncEvents): Promise<HostSync[]>;
  /** envctl tunnel: the ports the workspace publishes, forwarded to this machine's 127.0.0.1 until stop. */
  tunnel(workspace: Workspace): Promise<TunnelReport>;
  /** The one engine export and import act on; refused where there is none. */
  containerEngine(): Promise<DockerEngine>;
  /** doctor: what this kind of target needs beyond an engine that answers. */
  doctorChecks(engine: DockerEngine, checks: Check[]): Promise<void>;
  /** Whether the projects' GPUs are this engine's machine's (doctor checks its NVIDIA driver), not a scheduler's. */
  readonly gpusOfEngine: boolean;
}

export interface UpRequest {
  only: ReadonlySet<string> | undefined;
  detach: boolean;
  watch: boolean;
  build: boolean;
  noCache: boolean;
  dryRun: boolean;
  cpuOnly: boolean;
  startedAtMs: number;
  /** The workspace read again, for the watch loop. */
  reload: () => Workspace;
}

export interface HostSync {
  host: string;
  report: SyncReport;
}

export interface TunnelReport {
  /** Each forward: the laptop's end, and the host (a server, a swarm node) and port it reaches. */
  rows: Array<{ project: string; service: string; local: number; host: string; remote: number }>;
  /** Published UDP ports, which SSH cannot carry. */
  udp: PortGrant[];
  stop(): Promise<void>;
}

export interface RestartRequest {
  /** How up watches what it starts (workspace.yml up:). */
  settling: SettleOptions;
  /** A line said as each one is restarted. */
  said: (line: string) => void;
}

export interface DownRequest {
  only: ReadonlySet<string> | undefined;
  volumes: boolean;
}

/** How up ended: detached (or a dry run), in the foreground until all stopped, or by Ctrl+C. */
export type UpEnd = 'detached' | 'ended' | 'interrupted';

export interface DownView {
  /** A line for each thing removed. */
  removed: (line: string) => void;
  /** Another envctl holds the engine lock: this one waits. */
  waitingForLock: () => void;
}

/** A project up could not bring up: what of it is left, and why. */
export interface ProjectFailure {
  project: string;
  left: string;
  error: unknown;
}

/** How up's work is shown: the CLI's printing, called by the deployment as it goes. */
export interface UpView {
  /** Progress and the watch loop's events; `address` names the engine in "stopped answering". */
  events: (address: string) => Omit<WatchEvents, 'reconciled'>;
  sync: SyncEvents;
  warning: (message: string) => void;
  /** --dry-run: the plan, a line a step. */
  planned: (lines: string[]) => void;
  /** Failed projects and removals, each said with its error; the exit status raised to theirs. */
  failed: (projects: readonly ProjectFailure[], removals: readonly TeardownFailure[]) => void;
  nothingToDo: () => void;
  /** The projects up brought up, with their URLs. */
  summary: (rows: readonly ProjectSummary[]) => void;
  /** The summary as the up stamp keeps it, for a no-op `up -d` to print again without table code. */
  summaryText: (rows: readonly ProjectSummary[], colored: boolean) => string;
  note: (text: string) => void;
  /** The laptop's ends of a server's ports, when they changed. */
  forwarded: (forwards: readonly Forward[]) => void;
  watching: (root: string) => void;
  stopping: () => void;
  /** Ctrl+C stopped this many containers (services on a swarm, jobs on a cluster). */
  stopped: (count: number, noun: 'container' | 'service' | 'job') => void;
  logPrinter: LinePrinter;
}

/** What ps shows: one engine's containers (with a server's forwards), a swarm's services, a cluster's jobs. */
export type PsReport =
  | { kind: 'containers'; rows: PsRow[]; server: (ServerPorts & { engine: string }) | undefined }
  | { kind: 'services'; rows: SwarmRow[] }
  | { kind: 'jobs'; rows: SlurmRow[] };

/** What gpus shows: one machine's GPUs (or why none), or every node's of a swarm. */
export type GpuReport =
  { kind: 'machine'; rows: GpuRow[]; none?: { reason: string; fix: string } } | { kind: 'nodes'; rows: SwarmGpuRow[] };
