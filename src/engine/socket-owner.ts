import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * The pid of the process listening on a unix socket, from /proc: the socket's inode in /proc/net/unix,
 * then the process holding that inode open. Undefined when it cannot be told (not Linux, not permitted).
 * This is how envctl reads the environment of the dockerd that answers, wherever its socket is (rootless
 * Docker, DOCKER_HOST), rather than of whichever dockerd wrote /var/run/docker.pid.
 */
export function socketOwnerPid(socketPath: string, proc = '/proc'): number | undefined {
  const inode = listeningInode(socketPath, proc);
  if (inode === undefined) return undefined;
  const target = `socket:[${inode}]`;
  for (const pid of safeList(proc).filter((entry) => /^\d+$/.test(entry))) {
    for (const fd of safeList(`${proc}/${pid}/fd`)) {
      if (safeReadlink(`${proc}/${pid}/fd/${fd}`) === target) return Number(pid);
    }
  }
  return undefined;
}

/** /proc/net/unix: "Num RefCount Protocol Flags Type St Inode Path"; state 01 with the accept flag is a listener. */
function listeningInode(socketPath: string, proc: string): string | undefined {
  let table: string;
  try {
    table = readFileSync(`${proc}/net/unix`, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[7] === socketPath && (Number.parseInt(fields[3] ?? '0', 16) & 0x10000) !== 0) return fields[6];
  }
  return undefined;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeReadlink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
