import type { DockerEngine } from '../engine/docker-engine.js';
import { ReactionTimer } from '../engine/reaction-timer.js';
import { planLines } from '../reconcile/describe-plan.js';
import type { Workspace } from '../workspace/load.js';
import { checkNamedProjects } from './check-projects.js';
import type {
  Deployment,
  DownRequest,
  DownView,
  GpuReport,
  HostSync,
  TunnelReport,
  PsReport,
  RestartRequest,
  UpEnd,
  UpRequest,
  UpView,
} from './deployment.js';
import { down } from './down.js';
import { connectEngineOf, realEdges, storeOf, type EngineChoice } from './edges.js';
import { gpuRows } from './gpus.js';
import { LogFollower, pickContainers, scopeContainers, streamLogs, type LinePrinter } from './logs.js';
import type { ExecIo, LogOptions } from '../engine/engine.js';
import { execIn, type ExecRequest } from './exec.js';
import { LABEL } from '../model/labels.js';
import { restartProjects } from './restart.js';
import { workspaceRows } from './ps.js';
import {
  publishedOnServer,
  recordedForwards,
  remoteSessionOf,
  requiredRemoteSession,
  type RemoteSession,
  type SyncEvents,
} from './remote-session.js';
import { summarize, type ServerView } from './summary.js';
import type { UpOutcome } from './up.js';
import {
  containerStopper,
  inputsOf,
  reconcileUp,
  stampWholeUp,
  untilInterrupted,
  watchUp,
  type UpEdges,
  type WatchEvents,
} from './up-session.js';

/** Nothing to say while a tunnel opens: it syncs nothing. */
const QUIET_SYNC: SyncEvents = { synced: () => undefined, warning: () => undefined };

/** A workspace on one Docker Engine: this machine's, a server's over SSH (synced, forwarded), or one over TCP. */
export class EngineDeployment implements Deployment {
  readonly gpusOfEngine = true;

  constructor(private readonly choice: EngineChoice) {}

  containerEngine(): Promise<DockerEngine> {
    return connectEngineOf(this.choice);
  }

  async logs(root: string, targets: readonly string[], options: LogOptions, printer: LinePrinter) {
    const engine = await this.containerEngine();
    await checkNamedProjects(engine, root, targets);
    const containers = pickContainers(await engine.containers(LABEL.root, root), targets);
    return streamLogs(engine, containers, options, printer);
  }

  async sync(workspace: Workspace, only: ReadonlySet<string> | undefined, events: SyncEvents): Promise<HostSync[]> {
    const remote = await requiredRemoteSession(workspace, this.choice, 'sync', only, events);
    return [{ host: remote.hostName, report: await remote.sync() }];
  }

  async tunnel(workspace: Workspace): Promise<TunnelReport> {
    const remote = await requiredRemoteSession(workspace, this.choice, 'tunnel', undefined, QUIET_SYNC);
    const grants = await publishedOnServer(await this.containerEngine(), workspace.root, workspace.settings);
    const { forwards, udp } = grants.length ? await remote.forward(grants) : { forwards: [], udp: [] };
    const rows = forwards.map((forward) => ({
      project: forward.project,
      service: forward.service,
      local: forward.local,
      host: remote.hostName,
      remote: forward.remote,
    }));
    return { rows, udp, stop: () => remote.stop() };
  }

  async exec(root: string, request: ExecRequest, io: ExecIo): Promise<number> {
    return execIn(await this.containerEngine(), root, request, io);
  }

  async restart(root: string, projects: readonly string[], request: RestartRequest): Promise<void> {
    const said = (name: string) => request.said(`restarted ${name}`);
    await restartProjects(await this.containerEngine(), root, projects, request.settling, said);
  }

  async up(workspace: Workspace, request: UpRequest, view: UpView): Promise<UpEnd> {
    const timer = new ReactionTimer();
    const engine = timer.wrap(await this.containerEngine());
    const remote = await remoteSessionOf(workspace, this.choice, request.only, view.sync);
    const edges: UpEdges = { ...(await realEdges(workspace, this.choice, engine, remote?.server)), engine };
    const events: WatchEvents = { ...view.events(engine.address), reconciled: reportReconciled(view) };
    if (remote && !request.dryRun) await remote.sync();
    const outcome = await reconcileUp(workspace, edges, request, events);
    if (request.dryRun) {
      view.planned(planLines(outcome.plan));
      return 'detached';
    }
    const failed = reportFailures(outcome, view);
    if (failed === 0 && outcome.result!.changes === 0) view.nothingToDo();
    const foreground = !request.detach || request.watch;
    const forwards = remote && foreground ? await forwardsOf(remote, outcome, view) : [];
    const shown = shownOf(workspace, outcome, request, remote?.view(forwards));
    view.summary(shown);
    if (remote && !foreground && shown.some((project) => project.ports.length))
      view.note(`The ports are published on ${remote.hostName}; "envctl tunnel" forwards them to this machine.`);
    if (failed === 0 && !request.only && !request.cpuOnly && this.choice.id === 'local') {
      const text = { plain: view.summaryText(shown, false), colored: view.summaryText(shown, true) };
      await stampWholeUp(workspace, edges, outcome, text, request.startedAtMs, events);
    }
    if (!foreground) return 'detached';
    if (remote) events.reconciled = followForwards(remote, view);
    try {
      return await inForeground(workspace, outcome, { request, edges, events, timer, remote, view });
    } finally {
      await remote?.stop();
    }
  }

  async down(root: string, request: DownRequest, view: DownView): Promise<number> {
    const engine = await this.containerEngine();
    await checkNamedProjects(engine, root, request.only ? [...request.only] : []);
    const run = () => down(engine, root, request, view.removed);
    const report = await storeOf(root, this.choice).withEngineLock(run, view.waitingForLock);
    return report.removed.length;
  }

  async ps(root: string): Promise<PsReport> {
    const { secrets } = storeOf(root, this.choice).read().state;
    const ssh = this.choice.ssh;
    const server = ssh ? { hostName: ssh.hostName, forwards: recordedForwards(root, this.choice) } : undefined;
    const rows = await workspaceRows(await this.containerEngine(), root, secrets, server);
    if (!ssh || !server) return { kind: 'containers', rows, server: undefined };
    const found = await ssh.findEngine();
    return { kind: 'containers', rows, server: { ...server, engine: `${found.endpoint} (found by ${found.foundBy})` } };
  }

  async gpus(): Promise<GpuReport> {
    return { kind: 'machine', ...(await gpuRows(this.choice)) };
  }

  doctorChecks(): Promise<void> {
    return Promise.resolve();
  }
}

interface ForegroundSession {
  request: UpRequest;
  edges: UpEdges;
  events: WatchEvents;
  timer: ReactionTimer;
  remote: RemoteSession | undefined;
  view: UpView;
}

/** After the first reconcile: sync, logs and the watch loop until Ctrl+C (or every container stopped). */
async function inForeground(workspace: Workspace, outcome: UpOutcome, session: ForegroundSession): Promise<UpEnd> {
  const { request, edges, events, view } = session;
  session.remote?.start();
  const logs = request.detach ? undefined : LogFollower.ofEngine(edges.engine, view.logPrinter);
  const since = Math.floor(request.startedAtMs / 1000);
  if (logs) await logs.attach(await scopeContainers(edges.engine, workspace.root, request.only), since);
  const watching = {
    root: workspace.root,
    reload: request.reload,
    inputs: inputsOf(workspace, outcome, edges),
    edges,
    upOptions: request,
    logs,
    onFirstEvent: (at: number) => session.timer.arm(at),
    onFailure: () => session.timer.disarm(),
  };
  const watcher = request.watch ? await watchUp(watching, events) : undefined;
  if (watcher) view.watching(workspace.root);
  const stopProjects = !request.detach;
  const { presses, stopped } = await untilInterrupted({
    stopper: containerStopper(edges.engine, workspace.root, request.only),
    stopProjects,
    watcher,
    logs,
    ended: !watcher && logs ? logs.allDone() : undefined,
    onStopping: () => view.stopping(),
  });
  if (stopProjects && presses > 0) view.stopped(stopped, 'container');
  return presses > 0 && stopProjects ? 'interrupted' : 'ended';
}

/** Each failed project's error, and the removals that failed; how many things failed. */
function reportFailures(outcome: UpOutcome, view: UpView): number {
  const failures = (outcome.result?.failures ?? []).map((failure) => ({
    project: failure.project,
    error: failure.error,
    left: failure.stillRunning.length
      ? `${failure.stillRunning.join(', ')} still run${failure.stillRunning.length === 1 ? 's' : ''} as before`
      : 'nothing of it was left running',
  }));
  const removals = outcome.result?.removalFailures ?? [];
  view.failed(failures, removals);
  return failures.length + removals.length;
}

/** The summary rows of the projects up was asked for and brought up. */
function shownOf(workspace: Workspace, outcome: UpOutcome, request: UpRequest, server: ServerView | undefined) {
  const failed = new Set(outcome.result?.failures.map((failure) => failure.project));
  return summarize(workspace, outcome.render, server).filter(
    (project) => (!request.only || request.only.has(project.project)) && !failed.has(project.project),
  );
}

/** Opens the forwards of a server's ports, naming the UDP ones that SSH cannot carry. */
async function forwardsOf(remote: RemoteSession, outcome: UpOutcome, view: UpView) {
  const { forwards, udp } = await remote.forward(outcome.render.ports);
  for (const grant of udp)
    view.warning(
      `${grant.project}/${grant.service}: UDP port ${grant.host} is published on the server but not forwarded here (SSH carries TCP only).`,
    );
  return forwards;
}

/** A watch reconcile's outcome, reported like the first up's, with the URLs of what it started. */
function reportReconciled(view: UpView): WatchEvents['reconciled'] {
  return (outcome, workspace) => {
    reportFailures(outcome, view);
    if (outcome.result!.changes === 0 && outcome.result!.failures.length === 0) view.note('nothing to do');
    view.summary(startedOf(workspace, outcome));
  };
}

/** After each watch reconcile, the forwards follow the ports the server publishes; then the URLs are said. */
function followForwards(remote: RemoteSession, view: UpView): WatchEvents['reconciled'] {
  return (outcome, workspace) => {
    reportFailures(outcome, view);
    remote.forward(outcome.render.ports).then(
      ({ forwards, changed }) => {
        if (changed) view.forwarded(forwards);
        view.summary(startedOf(workspace, outcome, remote.view(forwards)));
      },
      (error: unknown) => view.warning(`the port forwards could not follow: ${(error as Error).message}`),
    );
  };
}

/** The summary rows of the projects a reconcile started containers for. */
function startedOf(workspace: Workspace, outcome: UpOutcome, server?: ServerView) {
  const failed = new Set(outcome.result?.failures.map((failure) => failure.project));
  const started = new Set(outcome.result?.started.map(({ service }) => service.project).filter((p) => !failed.has(p)));
  return summarize(workspace, outcome.render, server).filter((project) => started.has(project.project));
}
