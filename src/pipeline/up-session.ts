import type { Engine } from '../engine/engine.js';
import type { ObservedContainer } from '../engine/observed.js';
import type { ApplyReporter } from '../execute/apply.js';
import { fallbackInputs, mergeInputs, workspaceInputs, type WorkspaceInputs } from '../inputs/workspace-inputs.js';
import type { RenderOutcome } from '../merge/render-outcome.js';
import { dropStamp, recordStamp } from '../up-stamp/record.js';
import { EngineMonitor } from '../watch/engine-monitor.js';
import type { WorkspaceWatcher } from '../watch/watch-workspace.js';
import type { Workspace } from '../workspace/load.js';
import { scopeContainers, type LogFollower } from './logs.js';
import { persistRender } from './persist.js';
import type { RenderEdges } from './render-workspace.js';
import { up, type UpOptions, type UpOutcome } from './up.js';

/**
 * The work of `envctl up` around one reconcile: the engine lock, the up stamp, the watch loop, following
 * logs and stopping on Ctrl+C. The CLI parses options and prints what these report through UpEvents.
 */
export type UpEdges = RenderEdges & { engine: Engine };

export interface UpEvents extends ApplyReporter {
  warning(message: string): void;
  /** Another envctl holds the engine lock: this one waits. */
  waitingForLock(): void;
  debug(message: string): void;
}

export interface WatchEvents extends UpEvents {
  changed(files: readonly string[]): void;
  /** A watch reconcile ran: its outcome, to report like the first, and the workspace it reconciled. */
  reconciled(outcome: UpOutcome, workspace: Workspace): void;
  /** A watch reconcile failed; `again` when it failed the same way as the last time. */
  failed(error: unknown, again: boolean): void;
  engineAnswering(answering: boolean): void;
}

/** One reconcile under the engine lock: what render decided is written once every check passed. */
export async function reconcileUp(
  workspace: Workspace,
  edges: UpEdges,
  options: UpOptions,
  events: UpEvents,
): Promise<UpOutcome> {
  const run = () => up(workspace, edges, (result) => persistAndDropStamp(edges, workspace, result), events, options);
  const outcome = options.dryRun ? await run() : await edges.store.withEngineLock(run, () => events.waitingForLock());
  for (const message of outcome.render.warnings) events.warning(message);
  return outcome;
}

/** Once every check passed: what render decided is written, and the last up's stamp no longer holds. */
function persistAndDropStamp(edges: UpEdges, workspace: Workspace, result: RenderOutcome): void {
  dropStamp(edges.store.composeDir);
  persistRender(edges.store, workspace.settings.name, result);
}

/**
 * Lets the next `up -d` with nothing changed answer without rendering (src/up-stamp/); never fails the up.
 * The summary comes rendered both ways, so that the fast path needs no table code.
 */
export async function stampWholeUp(
  workspace: Workspace,
  edges: UpEdges,
  outcome: UpOutcome,
  summaryText: { plain: string; colored: string },
  startedAtMs: number,
  events: Pick<UpEvents, 'debug'>,
): Promise<void> {
  try {
    const skipped = await recordStamp({
      workspace,
      render: outcome.render,
      desired: outcome.desired,
      composeDir: edges.store.composeDir,
      startedAtMs,
      summaryText,
    });
    if (skipped) events.debug(`no up stamp written: ${skipped}`);
  } catch (error) {
    events.debug(`no up stamp written: ${(error as Error).message}`);
  }
}

export function inputsOf(workspace: Workspace, outcome: UpOutcome, edges: UpEdges): WorkspaceInputs {
  return workspaceInputs({
    workspace,
    render: outcome.render,
    desired: outcome.desired,
    composeDir: edges.store.composeDir,
  });
}

export interface WatchOptions {
  root: string;
  /** Loads the workspace again: each batch of edits starts from the files. */
  reload: () => Workspace;
  inputs: WorkspaceInputs;
  edges: UpEdges;
  upOptions: UpOptions;
  logs: LogFollower | undefined;
  /** When the first file event of a batch arrived, for the reaction timer. */
  onFirstEvent?: (at: number) => void;
  onFailure?: () => void;
}

/**
 * The watch loop: each batch of edits reloads the workspace and runs up again. A file that fails to parse
 * keeps what runs as it is and is reported once, until it is fixed; while it is broken every project's and
 * template's files are watched, so that the fix is seen. An engine that stops answering is waited for, and
 * what runs is reconciled when it is back.
 */
export async function watchUp(options: WatchOptions, events: WatchEvents): Promise<WorkspaceWatcher> {
  const { root, edges, logs } = options;
  let inputs = options.inputs;
  let lastError: string | undefined;
  // chokidar is loaded only when watching: a plain up should not pay for it.
  const { WorkspaceWatcher } = await import('../watch/watch-workspace.js');
  const watcher: WorkspaceWatcher = new WorkspaceWatcher({
    root,
    inputs,
    onFirstEvent: (at) => options.onFirstEvent?.(at),
    reconcile: async (changed) => {
      events.changed(changed);
      const since = Math.floor(Date.now() / 1000);
      try {
        const workspace = options.reload();
        const outcome = await reconcileUp(
          workspace,
          edges,
          { ...options.upOptions, build: false, noCache: false },
          events,
        );
        inputs = inputsOf(workspace, outcome, edges);
        lastError = undefined;
        events.reconciled(outcome, workspace);
        if (logs) await logs.attach(await scopeContainers(edges.engine, root, options.upOptions.only), since);
      } catch (error) {
        options.onFailure?.();
        inputs = mergeInputs(inputs, fallbackInputs(root));
        const text = error instanceof Error ? error.message : String(error);
        events.failed(error, text === lastError);
        lastError = text;
      }
      watcher.setInputs(inputs);
    },
  });
  await watcher.start();
  const monitor = new EngineMonitor(
    () => edges.engine.answers(),
    (answering) => {
      events.engineAnswering(answering);
      if (answering) watcher.poke('(the engine came back)');
    },
  );
  monitor.start();
  watcher.onClose(() => monitor.stop());
  return watcher;
}

export interface Foreground {
  engine: Engine;
  root: string;
  only: ReadonlySet<string> | undefined;
  /** Ctrl+C stops the projects (a second kills them); with -d --watch it ends only the watcher. */
  stopProjects: boolean;
  watcher: WorkspaceWatcher | undefined;
  logs: LogFollower | undefined;
  onStopping: () => void;
}

/**
 * Waits for Ctrl+C or SIGTERM (or, when only following logs, for every container to stop), then closes the
 * watcher and, in the foreground, stops what runs. Returns how often it was interrupted and what it stopped.
 */
export async function untilInterrupted(mode: Foreground): Promise<{ presses: number; stopped: number }> {
  let presses = 0;
  let stopping: Promise<unknown> = Promise.resolve();
  let containers: ObservedContainer[] = [];
  const interrupted = new Promise<void>((resolve) => {
    const onSignal = () => {
      presses += 1;
      if (mode.stopProjects && presses === 1) {
        mode.onStopping();
        stopping = scopeContainers(mode.engine, mode.root, mode.only).then((found) => {
          containers = found.filter((container) => container.state === 'running');
          return Promise.all(containers.map((container) => mode.engine.stopContainer(container.id)));
        });
      } else if (mode.stopProjects) {
        stopping = Promise.all(containers.map((container) => mode.engine.killContainer(container.id)));
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
  return { presses, stopped: containers.length };
}
