import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A file's identity as git's index keeps it: kind, size, change and modification times (ns) and inode; any
 * write, rename over or chmod changes it. "absent" for a path that does not exist, which is a fact too: a
 * compose.yml created later changes what up renders.
 */
export function fileSignature(path: string): string {
  const stat = statSync(path, { bigint: true, throwIfNoEntry: false });
  if (!stat) return 'absent';
  const kind = stat.isDirectory() ? 'd' : stat.isFile() ? 'f' : 'o';
  return `${kind}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}:${stat.ino}`;
}

export function signaturesOf(paths: Iterable<string>): Record<string, string> {
  const signatures: Record<string, string> = {};
  for (const path of [...new Set(paths)].sort()) signatures[path] = fileSignature(path);
  return signatures;
}

/** Modification time in ms of a signature, undefined for "absent". */
export function modifiedMs(signature: string): number | undefined {
  const mtimeNs = signature.split(':')[2];
  return mtimeNs === undefined ? undefined : Number(BigInt(mtimeNs) / 1_000_000n);
}

/** Every file and folder under `dir` (absolute paths), leaving out the names `skip` accepts. */
export function treePaths(dir: string, skip: (name: string) => boolean): string[] {
  const entries = (() => {
    try {
      return readdirSync(dir, { withFileTypes: true });
    } catch {
      return [];
    }
  })();
  return entries.flatMap((entry) => {
    if (skip(entry.name)) return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? [path, ...treePaths(path, skip)] : [path];
  });
}
