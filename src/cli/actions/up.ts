import pc from 'picocolors';
import { LABEL } from '../../model/labels.js';
import type { ApplyReporter } from '../../execute/apply.js';
import { teardownError } from '../../execute/teardown.js';
import { connectDocker } from '../../engine/docker-engine.js';
import type { Engine, LogStream } from '../../engine/engine.js';
import type { Plan } from '../../reconcile/plan.js';
import { ReactionTimer } from '../../engine/reaction-timer.js';
import { InputError } from '../../errors/envctl-error.js';
import { persistRender } from '../../pipeline/persist.js';
import type { RenderEdges } from '../../pipeline/render-workspace.js';
import { summarize, type ProjectSummary } from '../../pipeline/summary.js';
import { dropStamp, recordStamp } from '../../up-stamp/record.js';
import { up, type UpOutcome } from '../../pipeline/up.js';
import { fallbackInputs, mergeInputs, workspaceInputs, type WorkspaceInputs } from '../../inputs/workspace-inputs.js';
import { didYouMean } from '../../util/suggest.js';
import type { Workspace } from '../../workspace/load.js';
import type { WorkspaceWatcher } from '../../watch/watch-workspace.js';
import { EngineMonitor } from '../../watch/engine-monitor.js';
import { openWorkspace, realEdges, type GlobalOptions } from '../context.js';
import { formatError } from '../report-error.js';
import { color, debug, NOTHING_TO_DO, stderrColor, waitingForAnother, warn } from '../terminal.js';
import { summaryTable } from '../summary-table.js';
import { streamLogs } from './logs.js';
import type { RenderOutcome } from '../../merge/render-outcome.js';
import type { ObservedContainer } from '../../engine/observed.js';

export interface UpCommandOptions {
  detach?: boolean;
  cpuOnly?: boolean;
  watch?: boolean;
  build?: boolean;
  dryRun?: boolean;
}

type UpEdges = RenderEdges & { engine: Engine };

/** envctl up: reconcile the engine with which-project, print the URLs, then follow logs and/or watch. */
export async function upAction(globals: GlobalOptions, projects: string[], options: UpCommandOptions): Promise<void> {
  const startedAtMs = Date.now();
  const workspace = openWorkspace(globals);
  const only = selectProjects(workspace, projects);
  const timer = new ReactionTimer();
  const engine = timer.wrap(await connectDocker());
  const edges: UpEdges = { ...(await realEdges(workspace.root, engine)), engine };

  const outcome = await reconcile(workspace, edges, only, options);
  if (options.dryRun) return printPlan(outcome.plan);
  const failed = reportOutcome(outcome);
  if (failed === 0 && outcome.result!.changes === 0) process.stdout.write(NOTHING_TO_DO);
  const shown = summarize(workspace, outcome.render).filter(
    (project) => (!only || only.has(project.project)) && !outcomeFailed(outcome, project.project),
  );
  if (shown.length) process.stdout.write(`${summaryTable(shown)}\n`);
  if (failed === 0 && !only && !options.cpuOnly) await stampWholeUp(workspace, edges, outcome, shown, startedAtMs);
  if (options.detach && !options.watch) return;

  const logs = options.detach ? undefined : new LogFollower(engine);
  if (logs) await logs.attach(await scopeContainers(engine, workspace.root, only), Math.floor(startedAtMs / 1000));
  const watcher = options.watch
    ? await watchWorkspace(
        globals,
        workspace.root,
        inputsOf(workspace, outcome, edges),
        edges,
        only,
        options,
        timer,
        logs,
      )
    : undefined;
  await untilInterrupted(engine, workspace.root, only, { stopProjects: !options.detach, watcher, logs });
}

/** Lets the next `up -d` with nothing changed answer without rendering (src/up-stamp/); never fails the up. */
async function stampWholeUp(
  workspace: Workspace,
  edges: UpEdges,
  outcome: UpOutcome,
  summary: ProjectSummary[],
  startedAtMs: number,
): Promise<void> {
  try {
    // Both renderings of the table, so that the fast path needs no table code: it picks one for its terminal.
    const table = (colored: boolean) => (summary.length ? summaryTable(summary, pc.createColors(colored)) : '');
    const summaryText = { plain: table(false), colored: table(true) };
    const skipped = await recordStamp({
      workspace,
      render: outcome.render,
      desired: outcome.desired,
      composeDir: edges.store.composeDir,
      startedAtMs,
      summaryText,
    });
    if (skipped) debug(`no up stamp written: ${skipped}`);
  } catch (error) {
    debug(`no up stamp written: ${(error as Error).message}`);
  }
}

async function reconcile(
  workspace: Workspace,
  edges: UpEdges,
  only: ReadonlySet<string> | undefined,
  options: UpCommandOptions,
): Promise<UpOutcome> {
  const run = () =>
    up(workspace, edges, (result) => persistAndDropStamp(edges, workspace, result), reporter(), {
      only,
      build: options.build,
      dryRun: options.dryRun,
      cpuOnly: options.cpuOnly,
    });
  const outcome = options.dryRun ? await run() : await edges.store.withEngineLock(run, waitingForAnother);
  for (const message of outcome.render.warnings) warn(message);
  return outcome;
}

/** Once every check passed: what render decided is written, and the last up's stamp no longer holds. */
function persistAndDropStamp(edges: UpEdges, workspace: Workspace, result: RenderOutcome): void {
  dropStamp(edges.store.composeDir);
  persistRender(edges.store, workspace.settings.name, result);
}

function reporter(): ApplyReporter {
  const progress = process.stderr.isTTY;
  return {
    change: (project, text) => process.stdout.write(`${project ? `${color.cyan(project)}: ` : ''}${text}\n`),
    progress: (project, text) => {
      if (progress) process.stderr.write(stderrColor.dim(`${project} | ${text}\n`));
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

function outcomeFailed(outcome: UpOutcome, project: string): boolean {
  return (outcome.result?.failures ?? []).some((failure) => failure.project === project);
}

function selectProjects(workspace: Workspace, names: string[]): Set<string> | undefined {
  if (names.length === 0) return undefined;
  const listed = workspace.projects.map((project) => project.name);
  for (const name of names) {
    if (!listed.includes(name)) {
      throw new InputError(`Project "${name}" is not in which-project.`, {
        location: { file: 'which-project' },
        hint: `${didYouMean(name, listed)}Listed projects: ${listed.join(', ') || '(none)'}. which-project is what runs: add the project there first.`,
      });
    }
  }
  return new Set(names);
}

async function scopeContainers(
  engine: Engine,
  root: string,
  only: ReadonlySet<string> | undefined,
): Promise<ObservedContainer[]> {
  return (await engine.containers(LABEL.root, root)).filter(
    (container) => !only || only.has(container.labels[LABEL.project] ?? ''),
  );
}

/** Follows the output of the workspace's containers, taking on new ones as a watch reconcile starts them. */
class LogFollower {
  private readonly streams = new Map<string, LogStream>();

  constructor(private readonly engine: Engine) {}

  async attach(containers: readonly ObservedContainer[], since: number): Promise<void> {
    const fresh = containers.filter((container) => !this.streams.has(container.id));
    const streams = await streamLogs(this.engine, fresh, { follow: true, since });
    fresh.forEach((container, index) => this.streams.set(container.id, streams[index]!));
  }

  /** Settles when every followed container has stopped. */
  allDone(): Promise<unknown> {
    return Promise.all([...this.streams.values()].map((stream) => stream.done));
  }

  stop(): void {
    for (const stream of this.streams.values()) stream.stop();
  }
}

/**
 * The watch loop: each batch of edits reloads the workspace and runs up again. A file that fails to parse
 * keeps what runs as it is and says so once, until it is fixed.
 */
async function watchWorkspace(
  globals: GlobalOptions,
  root: string,
  initialInputs: WorkspaceInputs,
  edges: UpEdges,
  only: ReadonlySet<string> | undefined,
  options: UpCommandOptions,
  timer: ReactionTimer,
  logs: LogFollower | undefined,
): Promise<WorkspaceWatcher> {
  let inputs = initialInputs;
  let lastError: string | undefined;
  // chokidar is loaded only when watching: a plain up should not pay for it.
  const { WorkspaceWatcher } = await import('../../watch/watch-workspace.js');
  const watcher: WorkspaceWatcher = new WorkspaceWatcher({
    root,
    inputs,
    onFirstEvent: (at) => timer.arm(at),
    reconcile: async (changed) => {
      process.stdout.write(color.dim(`changed: ${changed.join(', ')}\n`));
      const since = Math.floor(Date.now() / 1000);
      try {
        const workspace = openWorkspace(globals);
        const outcome = await reconcile(workspace, edges, only, { ...options, build: false });
        inputs = inputsOf(workspace, outcome, edges);
        lastError = undefined;
        reportOutcome(outcome);
        if (outcome.result!.changes === 0 && outcome.result!.failures.length === 0)
          process.stdout.write('nothing to do\n');
        if (logs) await logs.attach(await scopeContainers(edges.engine, root, only), since);
      } catch (error) {
        timer.disarm();
        // Whatever the fix touches must be seen: every project's and template's files, beside what mattered.
        inputs = mergeInputs(inputs, fallbackInputs(root));
        const { text } = formatError(error);
        if (text !== lastError)
          process.stderr.write(`${text}  What runs was left as it is; envctl tries again when the files change.\n`);
        lastError = text;
      }
      watcher.setInputs(inputs);
    },
  });
  await watcher.start();
  watchEngine(edges.engine, watcher);
  process.stdout.write(
    `Watching which-project, the projects' files and their build inputs in ${root} (Ctrl+C to stop).\n`,
  );
  return watcher;
}

function inputsOf(workspace: Workspace, outcome: UpOutcome, edges: UpEdges): WorkspaceInputs {
  return workspaceInputs({
    workspace,
    render: outcome.render,
    desired: outcome.desired,
    composeDir: edges.store.composeDir,
  });
}

/** While watching, an engine that stops answering is waited for, and what runs is reconciled when it is back. */
function watchEngine(engine: Engine, watcher: WorkspaceWatcher): void {
  const monitor = new EngineMonitor(
    () => engine.answers(),
    (answering) => {
      if (answering) {
        process.stdout.write(`The Docker Engine at ${engine.address} answers again; reconciling.\n`);
        watcher.poke('(the engine came back)');
      } else {
        process.stderr.write(
          `The Docker Engine at ${engine.address} stopped answering; envctl waits for it and reconciles when it is back.\n`,
        );
      }
    },
  );
  monitor.start();
  watcher.onClose(() => monitor.stop());
}

/**
 * Waits for Ctrl+C (or, when only following logs, for every container to stop). With the projects in the
 * foreground the first Ctrl+C stops them and a second kills them; with -d --watch it ends only the watcher.
 */
async function untilInterrupted(
  engine: Engine,
  root: string,
  only: ReadonlySet<string> | undefined,
  mode: { stopProjects: boolean; watcher: WorkspaceWatcher | undefined; logs: LogFollower | undefined },
): Promise<void> {
  let presses = 0;
  let stopping: Promise<unknown> = Promise.resolve();
  let containers: ObservedContainer[] = [];
  const interrupted = new Promise<void>((resolve) => {
    const onSignal = () => {
      presses += 1;
      if (mode.stopProjects && presses === 1) {
        process.stderr.write('Stopping (press Ctrl+C again to kill)...\n');
        stopping = scopeContainers(engine, root, only).then((found) => {
          containers = found.filter((container) => container.state === 'running');
          return Promise.all(containers.map((container) => engine.stopContainer(container.id)));
        });
      } else if (mode.stopProjects) {
        stopping = Promise.all(containers.map((container) => engine.killContainer(container.id)));
      }
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  const waits: Array<Promise<unknown>> = [interrupted];
  if (!mode.watcher && mode.logs) waits.push(mode.logs.allDone());
  await Promise.race(waits);
  await mode.watcher?.close();
  await stopping;
  mode.logs?.stop();
  if (mode.stopProjects && presses > 0)
    process.stdout.write(`Stopped ${containers.length} container${containers.length === 1 ? '' : 's'}.\n`);
  process.exit(presses > 0 && mode.stopProjects ? 130 : Number(process.exitCode ?? 0));
}

function printPlan(plan: Plan): void {
  const lines: string[] = [];
  for (const { container, reason } of plan.removeContainers) lines.push(`remove ${container.name}: ${reason}`);
  for (const { network } of plan.recreateNetworks) lines.push(`recreate network ${network.name}: its settings changed`);
  for (const network of plan.createNetworks) lines.push(`create network ${network.name}`);
  for (const volume of plan.createVolumes) lines.push(`create volume ${volume.name}`);
  for (const [project, projectPlan] of plan.projects) {
    for (const step of projectPlan.images) lines.push(`${project}: ${step.kind} ${step.service.image}: ${step.reason}`);
    for (const step of projectPlan.levels.flat()) {
      if (step.kind !== 'keep') lines.push(`${project}: ${step.kind} ${step.service.containerName}: ${step.reason}`);
    }
  }
  for (const { network, reason } of plan.removeNetworks) lines.push(`remove network ${network.name}: ${reason}`);
  process.stdout.write(lines.length ? `${lines.join('\n')}\n` : 'Nothing to do.\n');
}
