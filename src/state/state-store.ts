import { accessSync, constants, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { makeFolders, writeAtomically, type WriteFile } from '../util/file-batch.js';
import { EnvctlError, InputError } from '../errors/envctl-error.js';
import type { Grant } from '../model/grant.js';

export const STATE_FILE = 'state.json';
const STATE_VERSION = 1;

/** The decisions envctl keeps between runs: a cache that the engine's labels can rebuild. */
export interface State {
  ports: Map<string, Grant<number>>;
  networks: Map<string, Grant<string>>;
  /** GPU units held by exclusive projects: "<project>/gpu/<n>" → unit id. */
  gpus: Map<string, Grant<string>>;
  /** Generated secrets per project, e.g. the Jupyter token. */
  secrets: Map<string, Record<string, string>>;
}

export function emptyState(): State {
  return { ports: new Map(), networks: new Map(), gpus: new Map(), secrets: new Map() };
}

export interface StateRead {
  state: State;
  /** Set when the file was unreadable and envctl started again from nothing. */
  warning?: string;
}

/**
 * compose/state.json, read and written under a lock held across the whole allocate step, so two
 * envctl processes never hand out the same port; written atomically (temp file + rename).
 */
export class StateStore {
  /** `engine`: state is kept per engine (engineId), so a workspace moved to a server keeps the laptop's apart. */
  constructor(
    readonly composeDir: string,
    readonly engine = 'local',
  ) {}

  get file(): string {
    return join(this.composeDir, stateFileOf(this.engine));
  }

  /** Runs `work` holding the workspace lock; other envctl processes wait for it. */
  async withLock<T>(work: () => T | Promise<T>): Promise<T> {
    this.mustBeWritable();
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(this.composeDir, {
        lockfilePath: join(this.composeDir, '.envctl.lock'),
        retries: { retries: 200, factor: 1.2, minTimeout: 10, maxTimeout: 250 },
        stale: 15_000,
        realpath: false,
      });
    } catch (cause) {
      throw new EnvctlError(`Another envctl holds the lock on ${this.composeDir} and did not let go.`, {
        cause,
        hint: `If no other envctl runs, remove ${join(this.composeDir, '.envctl.lock')} and try again.`,
      });
    }
    try {
      return await work();
    } finally {
      await release();
    }
  }

  /**
   * Runs `work` (an up's whole reconcile, a down) holding the workspace's engine lock: a second envctl on the
   * same workspace waits until the first is done, then sees what it did, so no container is created twice.
   * `onWait` is called once when another holds it. The lock's file is kept fresh while held, so a long build
   * is not taken for a dead holder; a holder that died leaves it stale after 30 s.
   */
  async withEngineLock<T>(work: () => Promise<T>, onWait: () => void = () => undefined): Promise<T> {
    this.mustBeWritable();
    const options = { lockfilePath: join(this.composeDir, '.envctl-engine.lock'), stale: 30_000, realpath: false };
    // proper-lockfile keeps its locks by the path locked: not composeDir, which the allocation lock inside holds.
    const key = join(this.composeDir, '.envctl-engine');
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(key, { ...options, retries: 0 });
    } catch (error) {
      if ((error as { code?: string }).code !== 'ELOCKED') throw error;
      onWait();
      // Wait as long as an up can take (a large build), checking every second.
      release = await lockfile.lock(key, {
        ...options,
        retries: { retries: 3600, factor: 1, minTimeout: 1000, maxTimeout: 1000 },
      });
    }
    try {
      return await work();
    } finally {
      await release().catch(() => undefined);
    }
  }

  /**
   * compose/ made, and writable: a read-only or not-yours folder is its own error (system-error.ts), not a
   * lock that "another envctl" seems to hold while the lock library retries for a minute.
   */
  private mustBeWritable(): void {
    makeFolders(this.composeDir);
    accessSync(this.composeDir, constants.W_OK);
  }

  read(): StateRead {
    if (!existsSync(this.file)) return { state: emptyState() };
    try {
      const raw = JSON.parse(readFileSync(this.file, 'utf8')) as {
        version: number;
        ports: Record<string, Grant<number>>;
        networks: Record<string, Grant<string>>;
        gpus?: Record<string, Grant<string>>;
        secrets: Record<string, Record<string, string>>;
      };
      if (typeof raw.version === 'number' && raw.version > STATE_VERSION) throw newerStateError(this.file, raw.version);
      if (raw.version !== STATE_VERSION) throw new Error(`unknown version ${raw.version}`);
      return {
        state: {
          ports: new Map(Object.entries(raw.ports ?? {}).filter(([, grant]) => Number.isInteger(grant.value))),
          networks: new Map(Object.entries(raw.networks ?? {}).filter(([, grant]) => typeof grant.value === 'string')),
          gpus: new Map(Object.entries(raw.gpus ?? {}).filter(([, grant]) => typeof grant.value === 'string')),
          secrets: new Map(Object.entries(raw.secrets ?? {})),
        },
      };
    } catch (error) {
      if (error instanceof InputError) throw error;
      return {
        state: emptyState(),
        warning:
          `${this.file} could not be read (${(error as Error).message}); allocations were made again from the engine and the host. Generated ` +
          `secrets were renewed.`,
      };
    }
  }

  write(state: State, writeFile: WriteFile = writeAtomically): void {
    mkdirSync(this.composeDir, { recursive: true });
    const sorted = <V>(map: Map<string, V>) =>
      Object.fromEntries([...map.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    const body = {
      version: STATE_VERSION,
      ports: sorted(state.ports),
      networks: sorted(state.networks),
      gpus: sorted(state.gpus),
      secrets: sorted(state.secrets),
    };
    const text = `${JSON.stringify(body, null, 2)}\n`;
    if (existsSync(this.file) && readFileSync(this.file, 'utf8') === text) return;
    writeFile(this.file, text, 0o600);
  }
}

/** state.json for the local engine, state@<engine>.json for any other. */
export function stateFileOf(engine: string): string {
  return engine === 'local' ? STATE_FILE : `state@${engine}.json`;
}

/** A newer envctl wrote the state: reading it as ours would reset and overwrite it, losing its decisions. */
function newerStateError(file: string, version: number): InputError {
  return new InputError(
    `${file} was written by a newer envctl (state version ${version}; this envctl reads version ${STATE_VERSION}), so this one will not read or overwrite it.`,
    {
      location: { file },
      hint:
        `Use the newer envctl on this workspace, or move ${file} away: envctl then makes its allocations again from the engine's labels (generated ` +
        `secrets are renewed).`,
    },
  );
}
