import { workspaceDeployment } from '../../pipeline/deployments.js';
import type { ExecIo } from '../../engine/engine.js';
import { LOGIN_SHELL } from '../../pipeline/exec.js';
import { findWorkspaceRoot } from '../../workspace/root.js';
import type { GlobalOptions } from '../context.js';

/** envctl exec: a command in a running environment, for scripts; its output and exit status passed through. */
export async function execAction(
  globals: GlobalOptions,
  target: string,
  command: string[],
  options: { interactive?: boolean },
): Promise<void> {
  await run(globals, target, command, { tty: false, interactive: options.interactive ?? false });
}

/**
 * envctl shell: an interactive shell (or the command) in a running environment, on a real terminal that
 * follows the window's size when there is one; the exit status passed through.
 */
export async function shellAction(globals: GlobalOptions, target: string, command: string[]): Promise<void> {
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  await run(globals, target, command.length ? command : LOGIN_SHELL, { tty, interactive: true });
}

async function run(
  globals: GlobalOptions,
  target: string,
  cmd: string[],
  mode: { tty: boolean; interactive: boolean },
): Promise<void> {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const deployment = await workspaceDeployment(root, globals.engine);
  const raw = mode.tty && process.stdin.isTTY;
  if (raw) process.stdin.setRawMode(true);
  try {
    process.exitCode = await deployment.exec(root, { target, cmd, ...mode }, terminalIo());
  } finally {
    if (raw) process.stdin.setRawMode(false);
    // Nothing more is read: a stdin left open would keep envctl running after the command ended.
    process.stdin.pause();
    process.stdin.destroy();
  }
}

function terminalIo(): ExecIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    size: () => ({ rows: process.stdout.rows ?? 24, columns: process.stdout.columns ?? 80 }),
    onResize: (listener) => {
      process.stdout.on('resize', listener);
      return () => process.stdout.off('resize', listener);
    },
  };
}
