import { existsSync, readFileSync as readFile } from 'node:fs';
import { join } from 'node:path';
import type { GpuSupport } from './engine-view.js';
import { socketOwnerPid } from './socket-owner.js';
import type { SshHost } from './ssh-host.js';

/** Where the engine runs: behind a socket of this machine, or on a server reached over SSH. */
export type DaemonHost = { socket: string } | { ssh: SshHost };

/** A server's engine honours GPU requests when the NVIDIA Container Toolkit's hook is installed there. */
export async function serverGpuRuntime(ssh: SshHost): Promise<GpuSupport> {
  const found = await ssh.run('command -v nvidia-container-runtime-hook || command -v nvidia-ctk');
  if (found.exitCode === 0) return { supported: 'yes' };
  return {
    supported: 'no',
    reason: `the NVIDIA Container Toolkit is not installed on ${ssh.hostName} (no nvidia-container-runtime-hook on its PATH)`,
  };
}

/** The PATH of the engine's process behind a local socket: its NVIDIA hook is looked up there. */
function daemonPath(socket: string): string | undefined {
  const pid = socketOwnerPid(socket);
  if (pid === undefined) return undefined;
  try {
    const environ = readFile(`/proc/${pid}/environ`, 'utf8').split('\0');
    return (
      environ.find((entry) => entry.startsWith('PATH='))?.slice('PATH='.length) ??
      '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    );
  } catch {
    return undefined;
  }
}

/**
 * A local engine honours GPU requests when the NVIDIA Container Toolkit's hook was on its PATH at start; unknown
 * when that PATH cannot be read (another user's dockerd).
 */
export function localGpuRuntime(socket: string): GpuSupport {
  const path = daemonPath(socket);
  if (path === undefined) return { supported: 'unknown' };
  if (path.split(':').some((dir) => dir && existsSync(join(dir, 'nvidia-container-runtime-hook'))))
    return { supported: 'yes' };
  return {
    supported: 'no',
    reason:
      'the Docker Engine has no NVIDIA runtime and no nvidia-container-runtime-hook on its PATH (the NVIDIA Container Toolkit is not installed)',
  };
}
