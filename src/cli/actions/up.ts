import pc from 'picocolors';
import { connectDocker } from '../../engine/docker-engine.js';
import { ReactionTimer } from '../../engine/reaction-timer.js';
import { teardownError } from '../../execute/teardown.js';
import { LogFollower, scopeContainers } from '../../pipeline/logs.js';
import { selectProjects } from '../../pipeline/select-projects.js';
import { summarize } from '../../pipeline/summary.js';
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
import { openWorkspace, realEdges } from '../../pipeline/edges.js';
import type { GlobalOptions } from '../context.js';
import { logPrinter } from '../log-printer.js';
import { formatError } from '../report-error.js';
import { summaryTable } from '../summary-table.js';
import { color, debug, NOTHING_TO_DO, stderrColor, waitingForAnother, warn } from '../terminal.js';

export interface UpCommandOptions {
  detach?: boolean;
  cpuOnly?: boolean;
  watch?: boolean;
  build?: boolean;
  dryRun?: boolean;
}

/** envctl up: reconcile the engine with which-project, print the URLs, then follow logs and/or watch. */
export async function upAction(globals: GlobalOptions, projects: string[], options: UpCommandOptions): Promise<void> {
  const startedAtMs = Date.now();
  const workspace = openWorkspace(globals.workspace);
  const only = selectProjects(workspace, projects);
  const timer = new ReactionTimer();
  const engine = timer.wrap(await connectDocker());
  const edges: UpEdges = { ...(await realEdges(workspace.root, engine)), engine };
  const upOptions = { only, build: options.build, dryRun: options.dryRun, cpuOnly: options.cpuOnly };
  const events = printedEvents(engine.address);

  const outcome = await reconcileUp(workspace, edges, upOptions, events);
  if (options.dryRun) return printPlan(outcome);
  const failed = reportOutcome(outcome);
  if (failed === 0 && outcome.result!.changes === 0) process.stdout.write(NOTHING_TO_DO);
  const failedProjects = new Set(outcome.result?.failures.map((failure) => failure.project));
  const shown = summarize(workspace, outcome.render).filter(
    (project) => (!only || only.has(project.project)) && !failedProjects.has(project.project),
  );
  if (shown.length) process.stdout.write(`${summaryTable(shown)}\n`);
  if (failed === 0 && !only && !options.cpuOnly) {
    const table = (colored: boolean) => (shown.length ? summaryTable(shown, pc.createColors(colored)) : '');
    await stampWholeUp(workspace, edges, outcome, { plain: table(false), colored: table(true) }, startedAtMs, events);
  }
  if (options.detach && !options.watch) return;

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
  process.exit(presses > 0 && stopProjects ? 130 : Number(process.exitCode ?? 0));
}

/** How up's progress and the watch loop's events are shown. */
function printedEvents(address: string): WatchEvents {
  const progress = process.stderr.isTTY;
  return {
    change: (project, text) => process.stdout.write(`${project ? `${color.cyan(project)}: ` : ''}${text}\n`),
    progress: (project, text) => {
      if (progress) process.stderr.write(stderrColor.dim(`${project} | ${text}\n`));
    },
    warning: warn,
    waitingForLock: waitingForAnother,
    debug,
    changed: (files) => process.stdout.write(color.dim(`changed: ${files.join(', ')}\n`)),
    reconciled: (outcome) => {
      reportOutcome(outcome);
      if (outcome.result!.changes === 0 && outcome.result!.failures.length === 0)
        process.stdout.write('nothing to do\n');
    },
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

/** Prints each failed project's error, and the removals that failed; returns how many things failed. */
function reportOutcome(outcome: UpOutcome): number {
  const raise = (exitCode: number) => (process.exitCode = Math.max(Number(process.exitCode ?? 0), exitCode));
  for (const failure of outcome.result?.failures ?? []) {
    const { text, exitCode } = formatError(failure.error);
    process.stderr.write(`${stderrColor.red(failure.project)}: nothing of it was left running. ${text}`);
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
