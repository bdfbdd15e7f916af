import { ExitCode } from '../../errors/envctl-error.js';
import pc from 'picocolors';
import { ReactionTimer } from '../../engine/reaction-timer.js';
import { teardownError } from '../../execute/teardown.js';
import { LogFollower, scopeContainers } from '../../pipeline/logs.js';
import { selectProjects } from '../../pipeline/select-projects.js';
import { summarize, type ServerView } from '../../pipeline/summary.js';
import type { UpOutcome } from '../../pipeline/up.js';
import {
  inputsOf,
  reconcileUp,
  stampWholeUp,
  untilInterrupted,
  watchUp,
  type UpEdges,
  type WatchEvents,
} from '../../pipeline/up-session.js';
import { planLines } from '../../reconcile/describe-plan.js';
import { connectEngineOf, engineChoice, openWorkspace, realEdges, remoteServerOf } from '../../pipeline/edges.js';
import { keepSyncing, serverView, syncProjects, tunnelKeeper, type SyncEvents } from '../../pipeline/remote-session.js';
import type { Forward, TunnelKeeper } from '../../remote/tunnels.js';
import type { Workspace } from '../../workspace/load.js';
import type { GlobalOptions } from '../context.js';
import { logPrinter } from '../log-printer.js';
import { formatError } from '../report-error.js';
import { summaryTable } from '../summary-table.js';
import { ProgressBoard } from '../progress-board.js';
import { color, debug, NOTHING_TO_DO, stderrColor, waitingForAnother, warn } from '../terminal.js';

export interface UpCommandOptions {
  detach?: boolean;
  cpuOnly?: boolean;
  watch?: boolean;
  build?: boolean;
  /** false for --no-cache (commander's negated option). */
  cache?: boolean;
  dryRun?: boolean;
}

/** envctl up: reconcile the engine with which-project, print the URLs, then follow logs and/or watch. */
export async function upAction(globals: GlobalOptions, projects: string[], options: UpCommandOptions): Promise<void> {
  const startedAtMs = Date.now();
  const workspace = openWorkspace(globals.workspace);
  const only = selectProjects(workspace, projects);
  const timer = new ReactionTimer();
  const choice = engineChoice(workspace.settings, globals.engine);
  if (choice.target.swarm) {
    const { swarmUpAction } = await import('./swarm.js');
    return swarmUpAction(workspace, choice, await connectEngineOf(choice), { ...options, only });
  }
  const engine = timer.wrap(await connectEngineOf(choice));
  const server = await remoteServerOf(workspace, choice);
  const edges: UpEdges = { ...(await realEdges(workspace, choice, engine, server)), engine };
  const upOptions = {
    only,
    build: options.build,
    noCache: options.cache === false,
    dryRun: options.dryRun,
    cpuOnly: options.cpuOnly,
  };
  const events = printedEvents(engine.address);
  const foreground = !options.detach || Boolean(options.watch);

  if (server && !options.dryRun) await syncProjects(workspace, server, only, syncEvents);
  const outcome = await reconcileUp(workspace, edges, upOptions, events);
  if (options.dryRun) return printPlan(outcome);
  const failed = reportOutcome(outcome);
  if (failed === 0 && outcome.result!.changes === 0) process.stdout.write(NOTHING_TO_DO);
  const tunnels = server && foreground ? tunnelKeeper(workspace, server, choice) : undefined;
  const forwards = tunnels ? await forwardsOf(tunnels, outcome) : [];
  const view = server ? serverView(server.ssh.hostName, forwards) : undefined;
  const failedProjects = new Set(outcome.result?.failures.map((failure) => failure.project));
  const shown = summarize(workspace, outcome.render, view).filter(
    (project) => (!only || only.has(project.project)) && !failedProjects.has(project.project),
  );
  if (shown.length) process.stdout.write(`${summaryTable(shown)}\n`);
  if (server && !tunnels && shown.some((project) => project.ports.length))
    process.stdout.write(
      `The ports are published on ${server.ssh.hostName}; "envctl tunnel" forwards them to this machine.\n`,
    );
  if (failed === 0 && !only && !options.cpuOnly && choice.id === 'local') {
    const table = (colored: boolean) => (shown.length ? summaryTable(shown, pc.createColors(colored)) : '');
    await stampWholeUp(workspace, edges, outcome, { plain: table(false), colored: table(true) }, startedAtMs, events);
  }
  if (options.detach && !options.watch) return;

  const syncing = server ? keepSyncing(workspace, server, only, syncEvents) : undefined;
  if (tunnels) events.reconciled = followForwards(server!.ssh.hostName, tunnels);
  const logs = options.detach ? undefined : new LogFollower(engine, logPrinter);
  if (logs) await logs.attach(await scopeContainers(engine, workspace.root, only), Math.floor(startedAtMs / 1000));
  const watcher = options.watch
    ? await watchUp(
        {
          root: workspace.root,
          reload: () => openWorkspace(globals.workspace),
          inputs: inputsOf(workspace, outcome, edges),
          edges,
          upOptions,
          logs,
          onFirstEvent: (at) => timer.arm(at),
          onFailure: () => timer.disarm(),
        },
        events,
      )
    : undefined;
  if (watcher)
    process.stdout.write(
      `Watching which-project, the projects' files and their build inputs in ${workspace.root} (Ctrl+C to stop).\n`,
    );
  const stopProjects = !options.detach;
  const { presses, stopped } = await untilInterrupted({
    engine,
    root: workspace.root,
    only,
    stopProjects,
    watcher,
    logs,
    onStopping: () => process.stderr.write('Stopping (press Ctrl+C again to kill)...\n'),
  });
  if (stopProjects && presses > 0) process.stdout.write(`Stopped ${stopped} container${stopped === 1 ? '' : 's'}.\n`);
  syncing?.stop();
  await tunnels?.stop();
  process.exit(presses > 0 && stopProjects ? ExitCode.interrupted : Number(process.exitCode ?? ExitCode.ok));
}

const syncEvents: SyncEvents = {
  synced: (lines) => {
    for (const line of lines) process.stdout.write(color.dim(`${line}\n`));
  },
  warning: warn,
};

/** Opens the forwards of a server's ports, naming the UDP ones that SSH cannot carry. */
async function forwardsOf(tunnels: TunnelKeeper, outcome: UpOutcome): Promise<Forward[]> {
  const { forwards, udp } = await tunnels.update(outcome.render.ports);
  for (const grant of udp)
    warn(
      `${grant.project}/${grant.service}: UDP port ${grant.host} is published on the server but not forwarded here (SSH carries TCP only).`,
    );
  return forwards;
}

/** After each watch reconcile, the forwards follow the ports the server publishes; then the URLs are said. */
function followForwards(hostName: string, tunnels: TunnelKeeper): WatchEvents['reconciled'] {
  return (outcome, workspace) => {
    reportOutcome(outcome);
    tunnels.update(outcome.render.ports).then(
      ({ forwards, changed }) => {
        if (changed)
          for (const forward of forwards)
            process.stdout.write(
              `${forward.project}/${forward.service}: 127.0.0.1:${forward.local} => server port ${forward.remote}\n`,
            );
        printStarted(outcome, workspace, serverView(hostName, forwards));
      },
      (error: unknown) => warn(`the port forwards could not follow: ${(error as Error).message}`),
    );
  };
}

/**
 * How up's progress and the watch loop's events are shown. Pulls and builds: one line per image drawn in place on
 * a terminal; piped, one line as each starts (its change line says how it ended).
 */
function printedEvents(address: string): WatchEvents {
  // A terminal of unknown size (rows 0: script(1) without one) cannot be drawn on in place.
  const board = process.stderr.isTTY && process.stderr.rows > 0 ? new ProgressBoard() : undefined;
  const out = (line: string) => (board ? board.above(() => process.stdout.write(line)) : process.stdout.write(line));
  return {
    change: (project, text) => out(`${project ? `${color.cyan(project)}: ` : ''}${text}\n`),
    progress: (project, progress) => {
      if (board) return board.update(project, progress);
      if (progress.tally || progress.line !== undefined || progress.finished) return;
      const why = progress.reason ? ` (${progress.reason})` : '';
      process.stdout.write(
        `${project}: ${progress.action === 'pull' ? 'pulling' : 'building'} ${progress.image}${why}\n`,
      );
    },
    warning: warn,
    waitingForLock: waitingForAnother,
    debug,
    changed: (files) => process.stdout.write(color.dim(`changed: ${files.join(', ')}\n`)),
    reconciled: printedReconciled,
    failed: (error, again) => {
      if (again) return;
      const { text } = formatError(error);
      process.stderr.write(`${text}  What runs was left as it is; envctl tries again when the files change.\n`);
    },
    engineAnswering: (answering) => {
      if (answering) process.stdout.write(`The Docker Engine at ${address} answers again; reconciling.\n`);
      else
        process.stderr.write(
          `The Docker Engine at ${address} stopped answering; envctl waits for it and reconciles when it is back.\n`,
        );
    },
  };
}

/** A watch reconcile's outcome, reported like the first up's, with the URLs of what it started. */
function printedReconciled(outcome: UpOutcome, workspace: Workspace): void {
  reportOutcome(outcome);
  if (outcome.result!.changes === 0 && outcome.result!.failures.length === 0) process.stdout.write('nothing to do\n');
  printStarted(outcome, workspace);
}

/** The summary rows of the projects a reconcile started containers for. */
function printStarted(outcome: UpOutcome, workspace: Workspace, view?: ServerView): void {
  const failed = new Set(outcome.result?.failures.map((failure) => failure.project));
  const started = new Set(outcome.result?.started.map(({ service }) => service.project).filter((p) => !failed.has(p)));
  const shown = summarize(workspace, outcome.render, view).filter((project) => started.has(project.project));
  if (shown.length) process.stdout.write(`${summaryTable(shown)}\n`);
}

/** Prints each failed project's error, and the removals that failed; returns how many things failed. */
function reportOutcome(outcome: UpOutcome): number {
  const raise = (exitCode: number) => (process.exitCode = Math.max(Number(process.exitCode ?? 0), exitCode));
  for (const failure of outcome.result?.failures ?? []) {
    const { text, exitCode } = formatError(failure.error);
    const left = failure.stillRunning.length
      ? `${failure.stillRunning.join(', ')} still run${failure.stillRunning.length === 1 ? 's' : ''} as before`
      : 'nothing of it was left running';
    process.stderr.write(`${stderrColor.red(failure.project)}: ${left}. ${text}`);
    raise(exitCode);
  }
  const removals = outcome.result?.removalFailures ?? [];
  if (removals.length) {
    const { text, exitCode } = formatError(teardownError(removals));
    process.stderr.write(text);
    raise(exitCode);
  }
  return (outcome.result?.failures.length ?? 0) + removals.length;
}

function printPlan(outcome: UpOutcome): void {
  const lines = planLines(outcome.plan);
  process.stdout.write(lines.length ? `${lines.join('\n')}\n` : 'Nothing to do.\n');
}
