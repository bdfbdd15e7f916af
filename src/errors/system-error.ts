import { InputError } from './envctl-error.js';

const PERMISSION_FIX =
  'Make the folder yours (ls -ld shows its owner; chown -R $USER it), or run envctl as the user who owns the workspace.';

/** What the operating system refuses when envctl writes, with what the user can do about it. */
const WRITE_REFUSALS: Record<string, { what: string; fix: string }> = {
  ENOSPC: {
    what: 'the disk is full',
    fix: "Free space on that disk (du -sh shows what takes it; docker system prune frees the engine's), then run it again.",
  },
  EDQUOT: {
    what: 'your disk quota is used up',
    fix: 'Free space within your quota (quota -s shows it), then run it again.',
  },
  EROFS: {
    what: 'the file system is read-only',
    fix: 'Work in a folder on a writable disk (or remount this one read-write), then run it again.',
  },
  EACCES: { what: 'permission denied', fix: PERMISSION_FIX },
  EPERM: { what: 'the operation is not permitted', fix: PERMISSION_FIX },
};

/**
 * A file-system error from Node (an errno code and a path) as a user error naming the file and the fix
 * (what envctl writes under compose/ is all or nothing: src/util/file-batch.ts). Undefined for anything else.
 */
export function fileSystemRefusal(error: unknown): InputError | undefined {
  const { code, path, syscall } = (error ?? {}) as { code?: string; path?: string; syscall?: string };
  const refusal = code ? WRITE_REFUSALS[code] : undefined;
  if (!refusal) return undefined;
  const doing = !syscall || ['write', 'mkdir'].includes(syscall) ? 'write' : syscall;
  return new InputError(`Could not ${doing} ${path ?? 'a file'}: ${refusal.what} (${code}).`, {
    hint: refusal.fix,
    cause: error,
  });
}
