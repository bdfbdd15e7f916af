import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/** Writes a file at once, atomically (a temporary file beside it, then a rename): what a batch does for one. */
export type WriteFile = (path: string, text: string, mode?: number) => void;

/** A WriteFile on its own: the file in place at once, atomically (write-file-atomic). */
export const writeAtomically: WriteFile = (path, text, mode) =>
  writeFileAtomic.sync(path, text, mode === undefined ? {} : { mode });

/**
 * Files written together or not at all: each is staged beside its place (written and synced to disk) and
 * only when every one is staged are they renamed into place. A full disk, a quota or a read-only folder fails
 * a staging write, and then every staged file is removed: the files there before are untouched.
 */
export class FileBatch {
  private readonly staged: Array<{ temp: string; path: string }> = [];

  readonly write: WriteFile = (path, text, mode) => {
    const temp = `${path}.envctl-${process.pid}.tmp`;
    try {
      makeFolders(dirname(path));
      const fd = openSync(temp, 'w', mode ?? 0o644);
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      rmSync(temp, { force: true });
      this.abort();
      // write(2) names no file: the error does, for the message that names it.
      throw Object.assign(error as Error, { path: (error as { path?: string }).path ?? path });
    }
    this.staged.push({ temp, path });
  };

  /** Every staged file into its place. */
  commit(): void {
    for (const { temp, path } of this.staged.splice(0)) renameSync(temp, path);
  }

  abort(): void {
    for (const { temp } of this.staged.splice(0)) rmSync(temp, { force: true });
  }
}

/** mkdir -p, one level at a time: Node's recursive mkdir says ENOENT, not EROFS, under a read-only folder. */
export function makeFolders(dir: string): void {
  if (existsSync(dir)) return;
  makeFolders(dirname(dir));
  mkdirSync(dir);
}
