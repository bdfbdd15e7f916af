import { readFileSync } from 'node:fs';
import { execa } from 'execa';

/**
 * Unmounts what a dockerd of a test's own leaves mounted under its folder when it stops (BuildKit's network
 * namespaces and snapshots, its data root's own bind mount), deepest first: removing the folder then works,
 * where it failed with EBUSY.
 */
export async function unmountUnder(dir: string): Promise<void> {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((path) => path.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const path of mounts) await execa('umount', ['-l', path], { reject: false });
}
