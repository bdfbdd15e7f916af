import { basename, relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { PROJECT_COMPOSE, PROJECT_CONFIG } from '../workspace/project-config.js';
import { WHICH_PROJECT } from '../workspace/root.js';
import { SETTINGS_FILE } from '../workspace/settings.js';

export interface WatchOptions {
  root: string;
  /** File names in a project folder that can change its image (requirements.txt, environment.yml, ...). */
  dependencyFiles: () => ReadonlySet<string>;
  /** How long the files must be quiet before a reconcile: an editor's save is often several events. */
  quietMs?: number;
  /** Runs the pipeline; never called twice at once. */
  reconcile: (changed: string[]) => Promise<void>;
  /** The moment the first event of a batch arrived, for measuring the reaction time. */
  onFirstEvent?: (at: number) => void;
}

/**
 * Decides when to reconcile, nothing more: chokidar events on the files that define the workspace are
 * coalesced until quiet, and events that come during a reconcile queue exactly one more.
 */
export class WorkspaceWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private changed = new Set<string>();
  private running: Promise<void> | undefined;
  private pending = false;
  private batchStarted = false;

  constructor(private readonly options: WatchOptions) {}

  /** Resolves once the initial scan is done and events are being watched. */
  start(): Promise<void> {
    const { root } = this.options;
    this.watcher = watch(root, {
      ignoreInitial: true,
      ignored: (path) => !this.isWatched(relative(root, path)),
      atomic: true,
    });
    for (const event of ['add', 'change', 'unlink'] as const) this.watcher.on(event, (path) => this.onEvent(relative(root, path)));
    return new Promise((resolve) => this.watcher!.once('ready', () => resolve()));
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    await this.watcher?.close();
    await this.running;
  }

  /** Whether a path (relative to the root) is one whose change matters; folders on the way are kept. */
  isWatched(path: string): boolean {
    if (path === '') return true;
    const parts = path.split(sep);
    const [top, project, file, ...deeper] = parts;
    if (parts.length === 1) return top === WHICH_PROJECT || top === SETTINGS_FILE || top === 'projects' || top === 'templates';
    if (top === 'templates') return true;
    if (top !== 'projects') return false;
    if (file === undefined) return project !== undefined;
    if (deeper.length > 0) return false;
    return file === PROJECT_CONFIG || file === PROJECT_COMPOSE || this.options.dependencyFiles().has(basename(file));
  }

  private onEvent(path: string): void {
    if (!this.batchStarted) {
      this.batchStarted = true;
      this.options.onFirstEvent?.(performance.now());
    }
    this.changed.add(path);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.trigger(), this.options.quietMs ?? 100);
  }

  private trigger(): void {
    if (this.running) {
      this.pending = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = undefined));
  }

  private async loop(): Promise<void> {
    do {
      this.pending = false;
      const changed = [...this.changed].sort();
      this.changed.clear();
      this.batchStarted = false;
      if (changed.length) await this.options.reconcile(changed);
    } while (this.pending);
  }
}
