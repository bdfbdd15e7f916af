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
 * The watch loop of one engine: each batch of edits reloads the workspace and runs up again, and the logs take
 * on the containers it started.
 */
export function watchUp(options: WatchOptions, events: WatchEvents): Promise<WorkspaceWatcher> {
  const { root, edges, logs } = options;
  return watchWorkspace(
    {
      root,
      inputs: options.inputs,
      answers: () => edges.engine.answers(),
      onFirstEvent: options.onFirstEvent,
      onFailure: options.onFailure,
      reconcile: async (since) => {
        const workspace = options.reload();
        const outcome = await reconcileUp(
          workspace,
          edges,
          { ...options.upOptions, build: false, noCache: false },
          events,
        );
        events.reconciled(outcome, workspace);
        if (logs) await logs.attach(await scopeContainers(edges.engine, root, options.upOptions.only), since);
        return inputsOf(workspace, outcome, edges);
      },
    },
    events,
  );
}

/** A watch loop, whatever the workspace runs on. */
export interface WatchLoop {
  root: string;
  inputs: WorkspaceInputs;
  /** Reloads the workspace and reconciles it; what its result depends on now. `since`: the batch's start. */
  reconcile: (since: number) => Promise<WorkspaceInputs>;
  /** Whether the engine (or the swarm's manager) answers, polled while watching. */
  answers: () => Promise<boolean>;
  /** When the first file event of a batch arrived, for the reaction timer. */
  onFirstEvent?: (at: number) => void;
  onFailure?: () => void;
}

/**
 * Each batch of edits runs the loop's reconcile. A file that fails to parse keeps what runs as it is and is
 * reported once, until it is fixed; while it is broken every project's and template's files are watched, so
 * that the fix is seen. An engine that stops answering is waited for, and what runs is reconciled when it is back.
 */
export async function watchWorkspace(
  loop: WatchLoop,
  events: Pick<WatchEvents, 'changed' | 'failed' | 'engineAnswering'>,
): Promise<WorkspaceWatcher> {
  let inputs = loop.inputs;
  let lastError: string | undefined;
  // chokidar is loaded only when watching: a plain up should not pay for it.
  const { WorkspaceWatcher } = await import('../watch/watch-workspace.js');
  const watcher: WorkspaceWatcher = new WorkspaceWatcher({
    root: loop.root,
    inputs,
    onFirstEvent: (at) => loop.onFirstEvent?.(at),
    reconcile: async (changed) => {
      events.changed(changed);
      try {
        inputs = await loop.reconcile(Math.floor(Date.now() / 1000));
        lastError = undefined;
      } catch (error) {
        loop.onFailure?.();
        inputs = mergeInputs(inputs, fallbackInputs(loop.root));
        const text = error instanceof Error ? error.message : String(error);
        events.failed(error, text === lastError);
        lastError = text;
      }
      watcher.setInputs(inputs);
    },
  });
  await watcher.start();
  const monitor = new EngineMonitor(loop.answers, (answering) => {
    events.engineAnswering(answering);
    if (answering) watcher.poke('(the engine came back)');
  });
  monitor.start();
  watcher.onClose(() => monitor.stop());
  return watcher;
}

/** How Ctrl+C stops what a foreground up runs: gently first, then (a second Ctrl+C) at once. */
export interface Stopper {
  /** Stops what runs; how many things it stopped. */
  stop(): Promise<number>;
  kill(): Promise<void>;
}

export interface Foreground {
  /** Ctrl+C stops the projects (a second kills them); with -d --watch it ends only the watcher. */
  stopProjects: boolean;
  stopper: Stopper;
  watcher: WorkspaceWatcher | undefined;
  /** Followed output, stopped at the end. */
  logs: { stop(): void } | undefined;
  /** Settles when what runs has ended on its own (every container stopped): up is over then too. */
  ended: Promise<unknown> | undefined;
  onStopping: () => void;
}

/**
 * A stopper for what a scheduler ends on its own (a swarm's tasks, a cluster's jobs): `stop` asks and waits;
 * a second Ctrl+C stops the waiting, saying `abandoned`, and the scheduler goes on ending them.
 */
export function waitingStopper(stop: () => Promise<number>, abandoned: () => void): Stopper {
  let abandon: () => void = () => undefined;
  const given = new Promise<number>((resolve) => (abandon = () => resolve(0)));
  return {
    stop: () => Promise.race([stop(), given]),
    kill: () => {
      abandoned();
      abandon();
      return Promise.resolve();
    },
  };
}

/** An engine's stopper: the workspace's running containers (of `only`), stopped, then killed. */
export function containerStopper(engine: Engine, root: string, only: ReadonlySet<string> | undefined): Stopper {
  let containers: ObservedContainer[] = [];
  return {
    stop: async () => {
      const found = await scopeContainers(engine, root, only);
      containers = found.filter((container) => container.state === 'running');
      await Promise.all(containers.map((container) => engine.stopContainer(container.id)));
      return containers.length;
    },
    kill: async () => void (await Promise.all(containers.map((container) => engine.killContainer(container.id)))),
  };
}

/**
 * Waits for Ctrl+C or SIGTERM (or for what runs to end on its own), then closes the watcher
 * and, in the foreground, stops what runs. Returns how often it was interrupted and what it stopped.
 */
export async function untilInterrupted(mode: Foreground): Promise<{ presses: number; stopped: number }> {
  let presses = 0;
  let stopping: Promise<number> = Promise.resolve(0);
  const interrupted = new Promise<void>((resolve) => {
    const onSignal = () => {
      presses += 1;
      if (mode.stopProjects && presses === 1) {
        mode.onStopping();
        stopping = mode.stopper.stop();
      } else if (mode.stopProjects) {
        void mode.stopper.kill();
      }
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await Promise.race(mode.ended ? [interrupted, mode.ended] : [interrupted]);
  await mode.watcher?.close();
  const stopped = await stopping;
  mode.logs?.stop();
  return { presses, stopped };
}
