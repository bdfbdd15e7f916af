import type { DockerEngine } from '../engine/docker-engine.js';
import type { ExecIo, LogOptions, LogStream } from '../engine/engine.js';
import type { ExecRequest } from './exec.js';
import { slurmExec } from './slurm-exec.js';
import { describeTarget } from '../engine/engine-target.js';
import { LIVE_STATES } from '../engine/slurm.js';
import { InputError } from '../errors/envctl-error.js';
import { runDirOf } from '../reconcile/slurm-desired.js';
import { loadSettings } from '../workspace/settings.js';
import { checkProjectArguments } from '../workspace/which-project.js';
import type {
  Deployment,
  DownRequest,
  DownView,
  GpuReport,
  HostSync,
  PsReport,
  TunnelReport,
  UpEnd,
  UpRequest,
  UpView,
} from './deployment.js';
import type { Check } from './doctor-check.js';
import { connectEngineOf, type EngineChoice } from './edges.js';
import type { LinePrinter } from './logs.js';
import { RemoteSession, type SyncEvents } from './remote-session.js';
import { inSlurmForeground, slurmSummary } from './slurm-foreground.js';
import { jobPorts } from './slurm-jobs.js';
import { slurmLogs } from './slurm-logs.js';
import { latestJobs, stateOf, type SlurmRow } from './slurm-rows.js';
import { reachSite, type SlurmSite } from './slurm-site.js';
import { slurmTunnel } from './slurm-tunnel.js';
import { slurmUp, type SlurmUpOutcome } from './slurm-up.js';
import { projectFolders, type Workspace } from '../workspace/load.js';

/**
 * A workspace on a Slurm cluster: each listed project a batch job running its services in the cluster's
 * unprivileged container runtime, submitted through the login node over SSH (or here, on a login node).
 */
export class SlurmDeployment implements Deployment {
  /** Slurm gives each job its GPUs: doctor checks the partition's (slurm-doctor.ts), not this machine's driver. */
  readonly gpusOfEngine = false;

  constructor(private readonly choice: EngineChoice) {}

  containerEngine(): Promise<DockerEngine> {
    throw this.notHere("export and import act on one engine's images and containers");
  }

  async exec(root: string, request: ExecRequest, io: ExecIo): Promise<number> {
    const site = await this.site(root);
    return slurmExec(site, latestJobs(await site.slurm.jobs(), site.prefix), root, request, io);
  }

  restart(): Promise<void> {
    throw this.notHere('restart is not there yet: "envctl down <project>" then "envctl up -d" submits it anew');
  }

  gpus(): Promise<GpuReport> {
    throw this.notHere('"envctl gpus" is not there yet: "envctl ps" shows the GPUs each job was given');
  }

  /**
   * Submits the jobs and says where each runs; in the foreground (or with --watch) it stays: see
   * inSlurmForeground.
   */
  async up(workspace: Workspace, request: UpRequest, view: UpView): Promise<UpEnd> {
    const [site, builder] = await Promise.all([reachSite(workspace, this.choice), connectEngineOf(this.choice)]);
    const events = { ...view.events(builder.address), sync: view.sync };
    const reconcile = (current: Workspace, asked: UpRequest) =>
      slurmUp(current, this.choice, { site, builder }, asked, events);
    const outcome = await reconcile(workspace, request);
    if (request.dryRun) {
      view.planned(planLines(outcome));
      return 'detached';
    }
    view.failed(outcome.failures, []);
    const { plan } = outcome;
    if (plan.submit.length + plan.cancel.length === 0 && outcome.failures.length === 0) view.nothingToDo();
    for (const [project, { job }] of outcome.jobs)
      if (job.state === 'PENDING') view.note(`${project}: job ${job.id} waits (${job.reason ?? 'queued'})`);
    if (!request.detach || request.watch) {
      const context = { workspace, choice: this.choice, site, request, view, events, reconcile };
      return inSlurmForeground(context, outcome);
    }
    view.summary(slurmSummary(workspace, outcome, request.only));
    if ([...outcome.jobs.values()].some(({ ports }) => ports && Object.keys(ports.ports).length))
      view.note(
        `The ports are on the compute nodes; "envctl tunnel" forwards them to this machine through ${site.host.hostName}.`,
      );
    return 'detached';
  }

  async down(root: string, request: DownRequest, view: DownView): Promise<number> {
    const site = await this.site(root);
    const jobs = (await site.slurm.jobs()).filter(
      (job) => job.name.startsWith(site.prefix) && LIVE_STATES.has(job.state),
    );
    const picked = jobs.filter((job) => !request.only || request.only.has(job.name.slice(site.prefix.length)));
    await site.slurm.cancel(picked.map((job) => job.id));
    for (const job of picked) view.removed(`${job.name.slice(site.prefix.length)}: cancelled job ${job.id}`);
    if (request.volumes) view.removed('a job has no volumes: the project folders stay in slurm.root');
    return picked.length;
  }

  async ps(root: string): Promise<PsReport> {
    const site = await this.site(root);
    const rows: SlurmRow[] = [];
    for (const job of latestJobs(await site.slurm.jobs(), site.prefix)) {
      const project = job.name.slice(site.prefix.length);
      const ports = job.state === 'RUNNING' ? await jobPorts(site, runDirOf(site.root, project), job.id) : undefined;
      rows.push({
        project,
        job: job.id,
        state: stateOf(job),
        node: job.node ?? null,
        gpus: job.gpus,
        urls: ports ? Object.values(ports.ports).map((port) => `http://${ports.node}:${port}/`) : [],
      });
    }
    return { kind: 'jobs', rows: rows.sort((a, b) => (a.project < b.project ? -1 : 1)) };
  }

  async logs(
    root: string,
    targets: readonly string[],
    options: LogOptions,
    printer: LinePrinter,
  ): Promise<LogStream[]> {
    const site = await this.site(root);
    const latest = latestJobs(await site.slurm.jobs(), site.prefix);
    checkProjectArguments(
      targets.map((target) => target.split('/')[0]!),
      [...projectFolders(root), ...latest.map((job) => job.name.slice(site.prefix.length))],
    );
    return slurmLogs(site, latest, targets, options, printer);
  }

  async sync(workspace: Workspace, only: ReadonlySet<string> | undefined, events: SyncEvents): Promise<HostSync[]> {
    const site = await reachSite(workspace, this.choice);
    if (!site.server) return [];
    const report = await new RemoteSession(workspace, site.server, this.choice, only, events).sync();
    return [{ host: site.host.hostName, report }];
  }

  async tunnel(workspace: Workspace): Promise<TunnelReport> {
    const site = await reachSite(workspace, this.choice);
    return slurmTunnel(workspace, this.choice, site, latestJobs(await site.slurm.jobs(), site.prefix));
  }

  async doctorChecks(_engine: DockerEngine, checks: Check[]): Promise<void> {
    const { slurmChecks } = await import('./slurm-doctor.js');
    checks.push(...(await slurmChecks(this.choice, this.choice.root)));
  }

  private site(root: string): Promise<SlurmSite> {
    return reachSite({ root, settings: loadSettings(root) }, this.choice);
  }

  private notHere(what: string): InputError {
    return new InputError(`On ${describeTarget(this.choice.target)}, ${what}.`, {
      hint: 'On a Slurm cluster, envctl up -d, down, ps, logs, exec, shell, sync, tunnel and doctor work.',
    });
  }
}

function planLines({ plan }: SlurmUpOutcome): string[] {
  return [
    ...plan.cancel.map(({ job, project }) => `cancel job ${job.id} of ${project}`),
    ...plan.submit.map(
      ({ job, reason, replacing }) =>
        `submit a job for ${job.project} (${reason})${replacing ? `, cancelling job ${replacing.id}` : ''}`,
    ),
  ];
}
