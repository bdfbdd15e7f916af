import { dirname, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

/**
 * The files whose change matters, and the folders whose every entry does (absolute paths). A build that
 * copies a folder lists each folder it walked; one it skipped (.dockerignore) is not among them.
 */
export interface WatchedInputs {
  paths: readonly string[];
  folders: readonly string[];
}

export interface WatchOptions {
  root: string;
  /** What the workspace's result depends on now (src/inputs/workspace-inputs.ts); refreshed with setInputs. */
  inputs: WatchedInputs;
  /** How long the files must be quiet before a reconcile: an editor's save is often several events. */
  quietMs?: number;
  /** Runs the pipeline; never called twice at once. */
  reconcile: (changed: string[]) => Promise<void>;
  /** The moment the first event of a batch arrived, for measuring the reaction time. */
  onFirstEvent?: (at: number) => void;
}

/**
 * Decides when to reconcile, nothing more: chokidar events on exactly the files the workspace's result
 * depends on (the same list as the build hash and the up stamp) are coalesced until quiet, and events that
 * come during a reconcile queue exactly one more. Folders that lead to those files are traversed, nothing else.
 */
export class WorkspaceWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private changed = new Set<string>();
  private running: Promise<void> | undefined;
  private pending = false;
  private batchStarted = false;
  private files = new Set<string>();
  private folders = new Set<string>();
  private ancestors = new Set<string>();

  constructor(private readonly options: WatchOptions) {
    this.setInputs(options.inputs);
  }

  /** Resolves once the initial scan is done and events are being watched. */
  start(): Promise<void> {
    this.watcher = watch(this.options.root, {
      ignoreInitial: true,
      ignored: (path) => !this.isWatched(path),
      atomic: true,
    });
    for (const event of ['add', 'change', 'unlink', 'addDir', 'unlinkDir'] as const)
      this.watcher.on(event, (path) => this.onEvent(path));
    return new Promise((resolve) => this.watcher!.once('ready', () => resolve()));
  }

  /** A reconcile found other inputs (a new project, a build that copies another folder): watch those from now on. */
  setInputs(inputs: WatchedInputs): void {
    const before = this.ancestors;
    this.files = new Set(inputs.paths);
    this.folders = new Set(inputs.folders);
    this.ancestors = new Set(
      [...inputs.paths, ...inputs.folders].flatMap((path) => ancestorsOf(path, this.options.root)),
    );
    const fresh = [...this.ancestors, ...this.folders].filter((dir) => !before.has(dir));
    // chokidar does not go back into a folder it skipped; ask it to look at the new ones.
    if (this.watcher && fresh.length) this.watcher.add(fresh);
  }

  /** Reconciles although no file changed (the engine came back), with `reason` among the changes shown. */
  poke(reason: string): void {
    this.changed.add(reason);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.trigger(), this.options.quietMs ?? 100);
  }

  private readonly closers: Array<() => void> = [];

  /** Something to stop with the watcher. */
  onClose(closer: () => void): void {
    this.closers.push(closer);
  }

  async close(): Promise<void> {
    for (const closer of this.closers) closer();
    clearTimeout(this.timer);
    await this.watcher?.close();
    await this.running;
  }

  /** Whether a path is an input, an entry of a folder that is, or a folder on the way to one. */
  isWatched(path: string): boolean {
    if (path === this.options.root || this.files.has(path) || this.ancestors.has(path) || this.folders.has(path))
      return true;
    return this.folders.has(dirname(path));
  }

  /** Whether a change of this path changes the result (a folder on the way does not). */
  private matters(path: string): boolean {
    return this.files.has(path) || this.folders.has(dirname(path));
  }

  private onEvent(path: string): void {
    if (!this.matters(path)) return;
    if (!this.batchStarted) {
      this.batchStarted = true;
      this.options.onFirstEvent?.(performance.now());
    }
    this.changed.add(path.slice(this.options.root.length + 1));
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

/** The folders from `root` down to the one holding `path`, for a path under `root`. */
function ancestorsOf(path: string, root: string): string[] {
  const found: string[] = [];
  for (let dir = dirname(path); dir.startsWith(`${root}${sep}`); dir = dirname(dir)) found.push(dir);
  return found;
}
