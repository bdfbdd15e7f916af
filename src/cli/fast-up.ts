import { fastPath } from '../up-stamp/fast-path.js';
import { findWorkspaceRoot } from '../workspace/root.js';
import { color, debug, NOTHING_TO_DO, warn } from './terminal.js';

/**
 * `up -d` with nothing changed, answered by the up stamp (up-stamp/fast-path.ts) with what the last whole up
 * printed. Returns false, having printed nothing, whenever the full path must run.
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
  const answer = await fastPath(root);
  if ('fullPath' in answer) return fullPath(answer.fullPath);
  const stamp = answer.unchanged;
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
