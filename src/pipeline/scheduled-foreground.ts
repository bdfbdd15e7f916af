import { workspaceInputs } from '../inputs/workspace-inputs.js';
import type { RenderOutcome } from '../merge/render-outcome.js';
import type { Desired } from '../reconcile/desired.js';
import type { WorkspaceWatcher } from '../watch/watch-workspace.js';
import type { Workspace } from '../workspace/load.js';
import type { UpEnd, UpRequest, UpView } from './deployment.js';
import { composeDirOf } from './edges.js';
import { untilInterrupted, watchWorkspace, type Stopper, type WatchEvents } from './up-session.js';

/** What a foreground up keeps open on a scheduler (a swarm, a cluster): its output, forwards and syncs. */
export interface ForegroundSession {
  logs: { stop(): void } | undefined;
  pauseSyncing(): Promise<void>;
  resumeSyncing(): void;
  /** Ends all of it (after a last sync). */
  stop(): Promise<void>;
}

/** What one up on a scheduler resolved: what the watcher's inputs come from. */
export interface ScheduledOutcome {
  render: RenderOutcome;
  wanted: Desired;
}

/**
 * The watch loop of a scheduler's foreground up: each batch of edits deploys again with the syncs paused (one
 * unison at a time per folder: the up syncs each folder once itself), then `followed` takes the outcome on.
 */
export function watchScheduled<O extends ScheduledOutcome>(options: {
  workspace: Workspace;
  request: UpRequest;
  events: Pick<WatchEvents, 'changed' | 'failed' | 'engineAnswering'>;
  first: O;
  session: ForegroundSession;
  /** Whether the scheduler (a swarm's manager, a cluster's login node) answers. */
  answers: () => Promise<boolean>;
  reconcile: (workspace: Workspace, request: UpRequest) => Promise<O>;
  followed: (outcome: O, workspace: Workspace, since: number) => Promise<void>;
}): Promise<WorkspaceWatcher> {
  const { workspace, request, session } = options;
  return watchWorkspace(
    {
      root: workspace.root,
      inputs: inputsOf(workspace, options.first),
      answers: options.answers,
      reconcile: async (since) => {
        await session.pauseSyncing();
        const reloaded = request.reload();
        try {
          const outcome = await options.reconcile(reloaded, { ...request, build: false, noCache: false });
          await options.followed(outcome, reloaded, since);
          return inputsOf(reloaded, outcome);
        } finally {
          session.resumeSyncing();
        }
      },
    },
    options.events,
  );
}

function inputsOf(workspace: Workspace, outcome: ScheduledOutcome) {
  const composeDir = composeDirOf(workspace.root);
  return workspaceInputs({ workspace, render: outcome.render, desired: outcome.wanted, composeDir });
}

/**
 * The foreground of an up whose scheduler runs the projects (a swarm's services, a cluster's jobs): watching
 * when asked, until Ctrl+C, which stops them (`stopper`) unless detached; the session ended either way.
 */
export async function scheduledForeground(options: {
  /** Takes the first up's outcome on (forwards, syncs, output); a failure ends the session. */
  begin: () => Promise<void>;
  root: string;
  request: UpRequest;
  view: UpView;
  session: ForegroundSession;
  watch: () => Promise<WorkspaceWatcher>;
  stopper: Stopper;
  noun: 'service' | 'job';
}): Promise<UpEnd> {
  const { request, view, session } = options;
  try {
    await options.begin();
    const watcher = request.watch ? await options.watch() : undefined;
    if (watcher) view.watching(options.root);
    const stopProjects = !request.detach;
    const { presses, stopped } = await untilInterrupted({
      stopProjects,
      stopper: options.stopper,
      watcher,
      logs: session.logs,
      ended: undefined,
      onStopping: () => view.stopping(),
    });
    if (stopProjects && presses > 0) view.stopped(stopped, options.noun);
    return presses > 0 && stopProjects ? 'interrupted' : 'ended';
  } finally {
    await session.stop();
  }
}
