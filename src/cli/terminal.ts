import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

/**
 * Colour only for a terminal that wants it: picocolors already honours NO_COLOR and FORCE_COLOR. Kept apart
 * from the table code so that the fast no-op `up` (fast-up.ts) loads nothing more than this.
 */
export const color = pc.createColors(pc.isColorSupported && process.stdout.isTTY === true);
export const stderrColor = pc.createColors(pc.isColorSupported && process.stderr.isTTY === true);

export function warn(message: string): void {
  process.stderr.write(`${stderrColor.yellow('warning:')} ${message}\n`);
}

/** What a no-op up says, on either of its paths. */
export const NOTHING_TO_DO = 'Nothing to do: the engine already runs what which-project lists.\n';

/** ENVCTL_DEBUG=1: why envctl took the way it did (the up stamp's decisions). */
export function debug(message: string): void {
  if (process.env.ENVCTL_DEBUG) process.stderr.write(`envctl: ${message}\n`);
}

/** Said once when another envctl holds the workspace's engine lock (src/state/state-store.ts). */
export function waitingForAnother(): void {
  process.stderr.write('Another envctl is changing this workspace on the engine; waiting for it to finish...\n');
}
