import { LIVE_STATES, type SlurmJob } from '../engine/slurm.js';
import type { Forward } from '../remote/tunnels.js';
import type { Workspace } from '../workspace/load.js';
import type { UpEnd, UpRequest, UpView } from './deployment.js';
import type { EngineChoice } from './edges.js';
import { LogFollower } from './logs.js';
import { RemoteSession } from './remote-session.js';
import { serviceLogs, tailLog, type ServiceLog } from './slurm-logs.js';
import type { SlurmSite } from './slurm-site.js';
import { grantOf } from './slurm-tunnel.js';
import type { SlurmUpEvents, SlurmUpOutcome } from './slurm-up.js';
import { summarize } from './summary.js';
import { scheduledForeground, watchScheduled } from './scheduled-foreground.js';
import { waitingStopper, type Stopper, type WatchEvents } from './up-session.js';

/** What a Slurm up in the foreground (or watching) works with. */
export interface SlurmForegroundContext {
  workspace: Workspace;
  choice: EngineChoice;
  site: SlurmSite;
  request: UpRequest;
  view: UpView;
  events: Omit<WatchEvents, 'reconciled'> & SlurmUpEvents;
  /** One up on the cluster, as `envctl up -d` runs it. */
  reconcile: (workspace: Workspace, request: UpRequest) => Promise<SlurmUpOutcome>;
}

/** How often a foreground up looks for the output of jobs that started since (a pending one, say). */
const NEW_OUTPUT_MS = 5000;

/**
 * After the first up on a cluster, as on a server: each running job's ports forwarded to this machine's
 * 127.0.0.1 through the login node (the summary's URLs are those ends), the project folders kept in sync, the
 * jobs' output followed (without -d), and with --watch every edit submitted. Ctrl+C cancels the workspace's
 * jobs (the next up submits them again) and waits until they have ended; with -d --watch it ends only the
 * watching. Either way each folder is synced once more before envctl exits.
 */
export async function inSlurmForeground(context: SlurmForegroundContext, first: SlurmUpOutcome): Promise<UpEnd> {
  const { workspace, request, view } = context;
  const session = new SlurmSession(context);
  return scheduledForeground({
    begin: () => session.follow(first, true),
    root: workspace.root,
    request,
    view,
    session,
    watch: () => watchSlurm(context, session, first),
    stopper: jobStopper(context, () => session.pauseSyncing()),
    noun: 'job',
  });
}

/** Each batch of edits submits again; the session follows what it submitted. */
function watchSlurm(context: SlurmForegroundContext, session: SlurmSession, first: SlurmUpOutcome) {
  const answered = (result: { exitCode: number }) => result.exitCode === 0;
  return watchScheduled({
    ...context,
    first,
    session,
    answers: () => context.site.host.run('true').then(answered, () => false),
    followed: (outcome) => session.follow(outcome, false),
  });
}

/** Ctrl+C: the syncs paused, the workspace's jobs (of `only`) cancelled, and waited for until they end. */
function jobStopper({ site, request, events }: SlurmForegroundContext, pauseSyncing: () => Promise<void>): Stopper {
  const ours = (job: SlurmJob) =>
    job.name.startsWith(site.prefix) &&
    LIVE_STATES.has(job.state) &&
    (!request.only || request.only.has(job.name.slice(site.prefix.length)));
  return waitingStopper(
    async () => {
      await pauseSyncing();
      const jobs = (await site.slurm.jobs()).filter(ours);
      await site.slurm.cancel(jobs.map((job) => job.id));
      for (let waited = 0; waited < 60 && (await site.slurm.jobs()).some(ours); waited++)
        await new Promise((resolve) => setTimeout(resolve, 500));
      for (const job of jobs) events.change(job.name.slice(site.prefix.length), `cancelled job ${job.id}`);
      return jobs.length;
    },
    () => events.warning('envctl no longer waits: Slurm ends the jobs on its own'),
  );
}

/** The forwards, folder syncs and followed output of one foreground up on a cluster. */
class SlurmSession {
  private readonly remote: RemoteSession | undefined;
  readonly logs: LogFollower<ServiceLog> | undefined;
  private readonly looking: NodeJS.Timeout | undefined;

  constructor(private readonly context: SlurmForegroundContext) {
    const { workspace, choice, site, request, view } = context;
    this.remote = site.server && new RemoteSession(workspace, site.server, choice, request.only, view.sync);
    this.logs = request.detach
      ? undefined
      : new LogFollower<ServiceLog>(
          (log, options, onLine) => Promise.resolve(tailLog(site, log.id, options, onLine)),
          view.logPrinter,
        );
    if (this.logs) this.looking = setInterval(() => void this.followNewOutput(), NEW_OUTPUT_MS);
  }

  /**
   * After an up: the forwards follow the running jobs' ports, the folders keep syncing, the output of jobs
   * that started is followed; the summary says each project's laptop URL (all of them the first time).
   */
  async follow(outcome: SlurmUpOutcome, first: boolean): Promise<void> {
    const { view, workspace, request } = this.context;
    const grants = [...outcome.jobs.values()].flatMap(({ ports }) =>
      Object.entries(ports?.ports ?? {}).map(([key, port]) => grantOf(key, port, ports!.node)),
    );
    let forwards: Forward[] = [];
    if (this.remote) {
      const opened = await this.remote.forward(grants);
      forwards = opened.forwards;
      if (opened.changed && !first) view.forwarded(forwards);
      this.remote.start();
    }
    const submitted = new Set(outcome.plan.submit.map(({ job }) => job.project));
    const rows = slurmSummary(workspace, outcome, request.only, forwards);
    view.summary(first ? rows : rows.filter(({ project }) => submitted.has(project)));
    await this.followNewOutput();
  }

  async pauseSyncing(): Promise<void> {
    await this.remote?.stopSyncing();
  }

  resumeSyncing(): void {
    this.remote?.start();
  }

  /** Ends the sync after one last round (what a job wrote as it ended comes back), the forwards, the output. */
  async stop(): Promise<void> {
    clearInterval(this.looking);
    await this.pauseSyncing();
    await this.remote?.sync().catch(() => undefined);
    this.logs?.stop();
    await this.remote?.stop();
  }

  private async followNewOutput(): Promise<void> {
    if (!this.logs) return;
    const { site, request } = this.context;
    const running = (await site.slurm.jobs().catch(() => [])).filter(
      (job) =>
        job.name.startsWith(site.prefix) &&
        job.state === 'RUNNING' &&
        (!request.only || request.only.has(job.name.slice(site.prefix.length))),
    );
    await this.logs.attach(await serviceLogs(site, running), 0);
  }
}

/**
 * The summary rows of the projects up brought up: each port on its job's node (`c1:8081`), or, forwarded, the
 * laptop's end of it.
 */
export function slurmSummary(
  workspace: Workspace,
  outcome: SlurmUpOutcome,
  only: ReadonlySet<string> | undefined,
  forwards: readonly Forward[] = [],
) {
  const nodes = new Map<string, string>();
  const portOf = new Map<string, number>();
  for (const [project, { ports }] of outcome.jobs) {
    if (!ports) continue;
    nodes.set(project, ports.node);
    for (const [key, port] of Object.entries(ports.ports)) portOf.set(key, port);
  }
  const failed = new Set(outcome.failures.map((failure) => failure.project));
  const server = {
    hostName: 'cluster',
    forwards: new Map(forwards.map((forward) => [forward.key, forward.local])),
    addressOf: (project: string) => nodes.get(project),
    portOf: (key: string) => portOf.get(key),
  };
  return summarize(workspace, outcome.render, server).filter(
    ({ project }) => (!only || only.has(project)) && !failed.has(project) && outcome.jobs.has(project),
  );
}
