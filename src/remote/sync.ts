import { mkdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { EnvctlError } from '../errors/envctl-error.js';
import type { SshHost } from '../engine/ssh-host.js';
import { shellQuote } from '../util/shell-quote.js';

/** What to sync: root pairs (laptop, server), the paths under them, and what stays out. */
export interface SyncSpec {
  host: SshHost;
  pairs: SyncPair[];
  ignore: readonly string[];
  /** Unison's archives on the laptop (compose/sync/): which version each side last agreed on. */
  stateDir: string;
}

export interface SyncPair {
  local: string;
  remote: string;
  /** Paths under the pair's roots to sync (all of it when empty). */
  paths: string[];
}

/** One line of unison's -terse list: what changed on which side, and which way it went. */
export interface SyncItem {
  path: string;
  local: string;
  remote: string;
  direction: string;
}

export interface SyncReport {
  items: SyncItem[];
  /** Paths changed on both sides: the newer is in place on both, the other kept beside it. */
  conflicts: string[];
}

const UNISON_PROGRAM = process.env.ENVCTL_UNISON ?? 'unison';

/**
 * Syncs both ways with unison over the shared SSH connection. A file changed on both sides is a conflict:
 * the newer version wins and the other is kept beside it as "<name> (conflict_on_<date>)<ext>" (unison's
 * -copyonconflict), and a second round carries that copy to the other side, so both sides hold both.
 */
export async function syncOnce(spec: SyncSpec): Promise<SyncReport> {
  const items: SyncItem[] = [];
  for (const pair of spec.pairs) {
    const first = await runUnison(spec, pair, []);
    items.push(...first);
    if (first.some(isConflict)) items.push(...(await runUnison(spec, pair, [])));
  }
  return { items, conflicts: items.filter(isConflict).map((item) => item.path) };
}

/**
 * Keeps syncing every `seconds` until stop(); `onItems` hears each round that changed something. stop()
 * settles once a round under way has ended, so that a sync run after it does not meet unison's lock.
 */
export function syncContinuously(
  spec: SyncSpec,
  onItems: (report: SyncReport) => void,
  onError: (error: Error) => void,
  seconds = 2,
): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const round = async () => {
    try {
      const report = await syncOnce(spec);
      if (report.items.length) onItems(report);
    } catch (error) {
      if (!stopped) onError(error as Error);
    }
    if (!stopped) timer = setTimeout(next, seconds * 1000);
  };
  const next = () => {
    current = round();
  };
  timer = setTimeout(next, seconds * 1000);
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      return current;
    },
  };
}

const madeRemote = new WeakSet<SyncPair>();

async function runUnison(spec: SyncSpec, pair: SyncPair, extra: string[]): Promise<SyncItem[]> {
  const { execa } = await import('execa');
  mkdirSync(spec.stateDir, { recursive: true });
  mkdirSync(pair.local, { recursive: true });
  // unison makes a missing root, but not the folders above it: made once per pair, not every round.
  if (!madeRemote.has(pair)) {
    await spec.host.run(`mkdir -p ${shellQuote(pair.remote)}`);
    madeRemote.add(pair);
  }
  const args = [pair.local, `ssh://${spec.host.destination}/${pair.remote}`, ...unisonOptions(spec), ...extra];
  for (const path of pair.paths) args.push('-path', path);
  const result = await execa(UNISON_PROGRAM, args, {
    env: { UNISON: spec.stateDir },
    reject: false,
    stdin: 'ignore',
    all: true,
  });
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new EnvctlError('unison is not installed on this machine; envctl syncs project folders with it.', {
      hint: 'Install it (sudo apt install unison, brew install unison): the same version as on the server.',
    });
  }
  const output = String(result.all ?? '');
  if (result.exitCode !== 0 && result.exitCode !== 1) throw unisonFailure(output, spec.host.hostName);
  return parseUnisonItems(output);
}

function unisonOptions(spec: SyncSpec): string[] {
  const options = ['-batch', '-auto', '-terse', '-prefer', 'newer', '-copyonconflict', '-times'];
  options.push('-confirmbigdel=false', '-sshcmd', spec.host.program, '-sshargs', spec.host.clientOptions().join(' '));
  for (const pattern of spec.ignore) options.push('-ignore', `Name ${pattern}`);
  return options;
}

/** What unison said when it could not sync: missing on the server, another version there, or its own words. */
function unisonFailure(output: string, host: string): EnvctlError {
  if (/unison: (command )?not found|No such file or directory.*unison/i.test(output)) {
    return new EnvctlError(`unison is not installed on ${host}; envctl syncs project folders with it.`, {
      hint: `Install it there (sudo apt install unison): the same version as on this machine (unison -version).`,
    });
  }
  if (/unexpected header|version/i.test(output) && /Fatal error/i.test(output)) {
    return new EnvctlError(`unison on ${host} is another version than this machine's: ${firstFatal(output)}`, {
      hint: 'Install the same unison version on both ends (unison -version on each).',
    });
  }
  return new EnvctlError(`Syncing the project folders with ${host} failed: ${firstFatal(output)}`, {
    hint: 'Run "envctl sync" to see it again; unison\'s own message is above.',
  });
}

function firstFatal(output: string): string {
  const lines = output.split('\n').map((line) => line.trim());
  return lines.find((line) => /^Fatal error|^Error/i.test(line)) ?? lines.filter(Boolean).at(-1) ?? 'unison failed';
}

const STATUS = '(?:changed|new file|new dir|new link|deleted|props|file|dir|link)';
const ITEM = new RegExp(`^(${STATUS})?\\s*(<?-+>?|<?=+>?|<-\\?->|<=\\?=>)\\s+(${STATUS})?\\s+(\\S.*?)\\s*$`);

/** Pure: unison's -terse item lines ("changed  ====> changed    projects/a/f.txt"). */
export function parseUnisonItems(output: string): SyncItem[] {
  return output.split('\n').flatMap((line) => {
    const found = ITEM.exec(line);
    if (!found) return [];
    return [{ local: found[1] ?? '', direction: found[2]!, remote: found[3] ?? '', path: found[4]! }];
  });
}

/** Both sides changed it. */
export function isConflict(item: SyncItem): boolean {
  return item.local !== '' && item.remote !== '' && !(item.local === 'deleted' && item.remote === 'deleted');
}

/** The name unison's -copyonconflict gives the version it moved aside (same folder). */
export function conflictCopyPattern(path: string): string {
  const ext = extname(path);
  return join(dirname(path), `${basename(path, ext)} (conflict_on_*)${ext}`);
}
