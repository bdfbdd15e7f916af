import pc from 'picocolors';
import { ExitCode } from '../../errors/envctl-error.js';
import { teardownError } from '../../execute/teardown.js';
import type { UpView } from '../../pipeline/deployment.js';
import { deploymentOf } from '../../pipeline/deployments.js';
import { engineChoice, openWorkspace } from '../../pipeline/edges.js';
import { selectProjects } from '../../pipeline/select-projects.js';
import type { WatchEvents } from '../../pipeline/up-session.js';
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

/** envctl up: reconcile where the workspace runs with which-project, print the URLs, then follow and/or watch. */
export async function upAction(globals: GlobalOptions, projects: string[], options: UpCommandOptions): Promise<void> {
  const startedAtMs = Date.now();
  const workspace = openWorkspace(globals.workspace);
  const only = selectProjects(workspace, projects);
  const deployment = await deploymentOf(engineChoice(workspace.settings, globals.engine));
  const request = {
    only,
    detach: Boolean(options.detach),
    watch: Boolean(options.watch),
    build: Boolean(options.build),
    noCache: options.cache === false,
    dryRun: Boolean(options.dryRun),
    cpuOnly: Boolean(options.cpuOnly),
    startedAtMs,
    reload: () => openWorkspace(globals.workspace),
  };
  const end = await deployment.up(workspace, request, printedView());
  if (end === 'detached') return;
  // What up followed (logs, the watcher, forwards) may keep handles open: the foreground ends here.
  process.exit(end === 'interrupted' ? ExitCode.interrupted : Number(process.exitCode ?? ExitCode.ok));
}

/** up's work as the terminal shows it. */
function printedView(): UpView {
  const line = (text: string) => process.stdout.write(`${text}\n`);
  return {
    events: printedEvents,
    sync: {
      synced: (lines) => {
        for (const synced of lines) process.stdout.write(color.dim(`${synced}\n`));
      },
      warning: warn,
    },
    warning: warn,
    planned: (lines) => process.stdout.write(lines.length ? `${lines.join('\n')}\n` : 'Nothing to do.\n'),
    failed: printFailures,
    nothingToDo: () => process.stdout.write(NOTHING_TO_DO),
    summary: (rows) => {
      if (rows.length) process.stdout.write(`${summaryTable(rows)}\n`);
    },
    summaryText: (rows, colored) => (rows.length ? summaryTable(rows, pc.createColors(colored)) : ''),
    note: line,
    forwarded: (forwards) => {
      for (const forward of forwards)
        line(`${forward.project}/${forward.service}: 127.0.0.1:${forward.local} => server port ${forward.remote}`);
    },
    watching: (root) =>
      line(`Watching which-project, the projects' files and their build inputs in ${root} (Ctrl+C to stop).`),
    stopping: () => process.stderr.write('Stopping (press Ctrl+C again to kill)...\n'),
    stopped: (count, noun) => line(`Stopped ${count} ${noun}${count === 1 ? '' : 's'}.`),
    logPrinter,
  };
}

/**
 * How up's progress and the watch loop's events are shown. Pulls and builds: one line per image drawn in place on
 * a terminal; piped, one line as each starts (its change line says how it ended).
 */
function printedEvents(address: string): Omit<WatchEvents, 'reconciled'> {
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

/** Each failed project's error and the removals that failed, the exit status raised to the worst of them. */
const printFailures: UpView['failed'] = (projects, removals) => {
  const raise = (exitCode: number) => (process.exitCode = Math.max(Number(process.exitCode ?? 0), exitCode));
  for (const failure of projects) {
    const { text, exitCode } = formatError(failure.error);
    process.stderr.write(`${stderrColor.red(failure.project)}: ${failure.left}. ${text}`);
    raise(exitCode);
  }
  if (removals.length) {
    const { text, exitCode } = formatError(teardownError(removals));
    process.stderr.write(text);
    raise(exitCode);
  }
};
