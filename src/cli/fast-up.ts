import { join } from 'node:path';
import { readEngine } from '../engine/engine-snapshot.js';
import { localEngineSocket } from '../engine/engine-socket.js';
import { currentBuild } from '../up-stamp/build-id.js';
import { engineDifference, filesDifference, hostRoutes, outputSignatures, readStamp } from '../up-stamp/stamp.js';
import { findWorkspaceRoot } from '../workspace/root.js';
import { currentHostUser } from '../util/host-user.js';
import { color, debug, NOTHING_TO_DO, warn } from './terminal.js';

/**
 * `up -d` with nothing changed, answered from compose/up-stamp.json: the signatures of the files render read
 * and wrote, and one round of Engine API calls, instead of loading, rendering and planning. Returns false,
 * having printed nothing, whenever anything differs or is in doubt; the full path then runs and is right.
 */
export async function fastUp(argv: readonly string[]): Promise<boolean> {
  const args = fastUpArgs(argv);
  if (!args) return false;
  let root: string;
  try {
    root = findWorkspaceRoot(process.cwd(), args.workspace);
  } catch {
    return false;
  }
  const composeDir = join(root, 'compose');
  const stamp = readStamp(composeDir);
  if (!stamp || stamp.root !== root) return fullPath('no stamp of a whole up');
  const engineSocket = localEngineSocket();
  const files = filesDifference(stamp, {
    build: currentBuild(),
    engineSocket,
    uid: currentHostUser().uid,
    outputs: outputSignatures(composeDir),
  });
  if (files) return fullPath(files);
  try {
    const { snapshot, subnets } = await readEngine(engineSocket!, root, stamp.imageReferences);
    const engine = engineDifference(stamp, snapshot, hostRoutes(subnets));
    if (engine) return fullPath(engine);
  } catch (error) {
    // The full path reports an engine that does not answer properly.
    return fullPath(`the engine: ${(error as Error).message}`);
  }
  for (const message of stamp.warnings) warn(message);
  process.stdout.write(NOTHING_TO_DO);
  const table = color.isColorSupported ? stamp.summaryText.colored : stamp.summaryText.plain;
  if (table) process.stdout.write(`${table}\n`);
  return true;
}

/** `up -d` or `up --detach`, with -w/--workspace anywhere; anything else goes the full way. */
export function fastUpArgs(argv: readonly string[]): { workspace: string | undefined } | undefined {
  let workspace: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if ((arg === '-w' || arg === '--workspace') && i + 1 < argv.length) workspace = argv[++i];
    else if (arg.startsWith('--workspace=')) workspace = arg.slice('--workspace='.length);
    else rest.push(arg);
  }
  const [command, flag, ...more] = rest;
  return command === 'up' && (flag === '-d' || flag === '--detach') && more.length === 0 ? { workspace } : undefined;
}

function fullPath(reason: string): false {
  debug(`up takes the full path: ${reason}`);
  return false;
}
