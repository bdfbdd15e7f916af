import { posix } from 'node:path';
import type { DockerEngine } from '../engine/docker-engine.js';
import { NO_ENGINE } from '../engine/engine-view.js';
import type { ImageRunConfig } from '../engine/image-export.js';
import { LIVE_STATES, type SlurmJob } from '../engine/slurm.js';
import type { ApplyReporter } from '../execute/apply.js';
import type { RenderOutcome } from '../merge/render-outcome.js';
import type { Desired } from '../reconcile/desired.js';
import type { PlanOptions } from '../reconcile/plan.js';
import { slurmJobs } from '../reconcile/slurm-desired.js';
import { planSlurm, type SlurmPlan } from '../reconcile/slurm-plan.js';
import { jobFiles, type JobFiles, type JobSpec } from '../reconcile/slurm-script.js';
import { currentHostUser } from '../util/host-user.js';
import { shellQuote } from '../util/shell-quote.js';
import type { Workspace } from '../workspace/load.js';
import { desiredOf } from './desired-of.js';
import { CLUSTER_GPUS, storeOf, type EngineChoice } from './edges.js';
import { persistRender } from './persist.js';
import { RemoteSession, type SyncEvents } from './remote-session.js';
import { renderWorkspace, type RenderEdges } from './render-workspace.js';
import { carryImages, imagePath, imagesOnBuilder } from './slurm-images.js';
import { jobPorts, type JobPorts } from './slurm-jobs.js';
import type { SlurmSite } from './slurm-site.js';
import { buildOnManager } from './swarm-images.js';
import { hashBuilds } from './up.js';

export type SlurmJobFiles = JobSpec & JobFiles;

export interface SlurmUpOutcome {
  render: RenderOutcome;
  /** The workspace's services resolved: what the watcher's inputs come from. */
  wanted: Desired;
  plan: SlurmPlan<SlurmJobFiles>;
  /** Projects whose image did not build: their jobs are left as they are. */
  failures: Array<{ project: string; left: string; error: Error }>;
  /** Each project's job after the up, with the node and ports of a running one. */
  jobs: Map<string, { job: SlurmJob; ports: JobPorts | undefined }>;
}

export type SlurmUpEvents = ApplyReporter & { warning(message: string): void; sync: SyncEvents };

/**
 * envctl up on a Slurm cluster: render, the images built here (as on one engine) and carried to the shared
 * folder in the runtime's format, the project folders synced there, one batch script per project; then the
 * jobs of older versions or of projects no longer listed cancelled and the missing ones submitted, and each
 * new job watched until it runs (its node and ports said) or waits (Slurm's reason said).
 */
export async function slurmUp(
  workspace: Workspace,
  choice: EngineChoice,
  context: { site: SlurmSite; builder: DockerEngine },
  options: PlanOptions & { dryRun?: boolean },
  events: SlurmUpEvents,
): Promise<SlurmUpOutcome> {
  const { site, builder } = context;
  const { render, wanted } = await renderForSlurm(workspace, choice, site, options);
  const builds = await buildOnManager(wanted, builder, options, events);
  const unbuilt = new Set(builds.failures.map((failure) => failure.project));
  const services = wanted.services.filter((service) => !unbuilt.has(service.project));
  const configs = options.dryRun ? new Map<string, ImageRunConfig>() : await imagesOnBuilder(services, builder, events);
  const idOf = (image: string) => configs.get(image)?.id ?? image;
  const specs = slurmJobs(services, {
    workspaceId: site.prefix,
    root: site.root,
    runtime: site.runtime,
    settings: workspace.settings.slurm,
    imageFile: (image) => imagePath(site, idOf(image)),
    defaults: (image) =>
      configs.get(image) ?? { env: [], entrypoint: undefined, cmd: undefined, workingDir: undefined },
  });
  const desired = specs.map((spec) => ({ ...spec, ...jobFiles(spec) }));
  const plan = planSlurm(desired, await site.slurm.jobs(), site.prefix, options.only);
  const failures = builds.failures.map(({ project, error }) => ({
    project,
    left: 'its image did not build: its job runs as before',
    error,
  }));
  const outcome = { render, wanted, plan, failures, jobs: new Map() };
  if (options.dryRun) return outcome;
  const carried = new Map<string, string>();
  for (const { job } of plan.submit)
    for (const service of services.filter((candidate) => candidate.project === job.project))
      carried.set(idOf(service.image), job.project);
  await carryImages(carried, builder, site, events);
  if (site.server) await new RemoteSession(workspace, site.server, choice, options.only, events.sync).sync();
  await applySlurmPlan(plan, site, events);
  return { ...outcome, jobs: await settledJobs(site, plan) };
}

/** Render for a cluster: ports and GPUs are the job's to find on its node; binds point at the shared folder. */
async function renderForSlurm(
  workspace: Workspace,
  choice: EngineChoice,
  site: SlurmSite,
  options: { dryRun?: boolean },
): Promise<{ render: RenderOutcome; wanted: Desired }> {
  const store = storeOf(workspace.root, choice);
  const edges: RenderEdges = {
    ports: { isFree: () => Promise.resolve(true) },
    gpus: { discover: () => Promise.resolve({ available: false, reason: CLUSTER_GPUS }) },
    engine: NO_ENGINE,
    routes: { routes: () => Promise.resolve([]) },
    store,
    user: site.server?.user ?? currentHostUser(),
    target: 'slurm',
    bindSource: site.bindSource,
  };
  let wanted: Desired | undefined;
  const render = await renderWorkspace(
    workspace,
    edges,
    options.dryRun ? () => undefined : (outcome) => persistRender(store, workspace.settings.name, outcome),
    {
      check: (outcome) => void (wanted = hashBuilds(desiredOf(workspace, store.composeDir, outcome, site.bindSource))),
    },
  );
  return { render, wanted: wanted! };
}

/** Cancels what goes, then writes each job's files (its env files readable by the user only) and submits it. */
async function applySlurmPlan(plan: SlurmPlan<SlurmJobFiles>, site: SlurmSite, events: ApplyReporter) {
  for (const { job, project } of plan.cancel) {
    await site.slurm.cancel([job.id]);
    events.change(project, `cancelled job ${job.id} (its project is not in which-project)`);
  }
  for (const { job, replacing, reason } of plan.submit) {
    if (replacing) await site.slurm.cancel([replacing.id]);
    const script = posix.join(job.runDir, 'job.sh');
    await writeFiles(site, [...job.envFiles, ...job.execFiles, { path: script, text: job.script }]);
    const id = await site.slurm.submit(script);
    events.change(job.project, `submitted job ${id} (${reason})${replacing ? `, cancelled job ${replacing.id}` : ''}`);
  }
}

/** Writes files on the shared folder in one command, each made by the user alone (mode 600). */
async function writeFiles(site: SlurmSite, files: ReadonlyArray<{ path: string; text: string }>): Promise<void> {
  const lines = ['set -e', 'umask 077'];
  for (const { path, text } of files) {
    lines.push(`mkdir -p ${shellQuote(posix.dirname(path))}`);
    lines.push(
      `printf %s ${shellQuote(Buffer.from(text).toString('base64'))} | base64 -d > ${shellQuote(`${path}.new`)}`,
    );
    lines.push(`mv ${shellQuote(`${path}.new`)} ${shellQuote(path)}`);
  }
  const result = await site.host.run(lines.join('\n'));
  if (result.exitCode !== 0)
    throw new Error(`writing the job's files on ${site.host.hostName} failed: ${result.stderr.trim()}`);
}

/**
 * Each listed project's job once the new ones have started or been held back: polled until every job
 * submitted runs with its ports written, or waits with a reason Slurm gives, or 30 s have passed.
 */
async function settledJobs(site: SlurmSite, plan: SlurmPlan<SlurmJobFiles>) {
  const runDirs = new Map([...plan.submit, ...plan.keep].map(({ job }) => [job.jobName, job]));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const jobs = (await site.slurm.jobs()).filter((job) => runDirs.has(job.name) && LIVE_STATES.has(job.state));
    const settled = new Map<string, { job: SlurmJob; ports: JobPorts | undefined }>();
    for (const job of jobs) {
      const spec = runDirs.get(job.name)!;
      const ports = job.state === 'RUNNING' ? await jobPorts(site, spec.runDir, job.id) : undefined;
      settled.set(spec.project, { job, ports });
    }
    const waiting = [...settled.values()].some(({ job, ports }) => (job.state === 'RUNNING' ? !ports : !job.reason));
    if (!waiting || Date.now() > deadline) return settled;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
