import type { WorkspaceWatcher } from '../watch/watch-workspace.js';
import type { UpEnd, UpRequest, UpView } from './deployment.js';
import { untilInterrupted, type Stopper } from './up-session.js';

/** What a foreground up keeps open on a scheduler (a swarm, a cluster): its output, forwards and syncs. */
export interface ForegroundSession {
  logs: { stop(): void } | undefined;
  /** Ends all of it (after a last sync). */
  stop(): Promise<void>;
}

/**
 * The foreground of an up whose scheduler runs the projects (a swarm's services, a cluster's jobs): watching
 * when asked, until Ctrl+C, which stops them (`stopper`) unless detached; the session ended either way.
 */
export async function scheduledForeground(options: {
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
