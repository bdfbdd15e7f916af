import { createSocket, type SocketType } from 'node:dgram';
import getPort, { clearLockedPorts } from 'get-port';
import type { HostCommands } from '../../util/host-commands.js';

export type PortProtocol = 'tcp' | 'udp';

/** Tells whether a host port is free of listening (TCP) or bound (UDP) sockets. */
export interface PortProbe {
  isFree(port: number, protocol?: PortProtocol): Promise<boolean>;
}

/**
 * Asks the kernel by binding: get-port tries the port on the default (dual-stack) address, 0.0.0.0 and
 * every interface address, so a listener on 127.0.0.1, 0.0.0.0 or :: each makes the port busy.
 */
export class HostPortProbe implements PortProbe {
  private readonly known = new Map<string, Promise<boolean>>();

  isFree(port: number, protocol: PortProtocol = 'tcp'): Promise<boolean> {
    const key = `${protocol}/${port}`;
    let answer = this.known.get(key);
    if (!answer) {
      answer = protocol === 'udp' ? udpFree(port) : tcpFree(port);
      this.known.set(key, answer);
    }
    return answer;
  }
}

function tcpFree(port: number): Promise<boolean> {
  return getPort({ port }).then((got) => {
    // get-port keeps ports it handed out locked in-process; envctl only asks, it never keeps them.
    clearLockedPorts();
    return got === port;
  });
}

/**
 * A UDP port is free when a socket can bind it on 0.0.0.0 and on :: (the kernel refuses a wildcard bind
 * while any address holds the port). A host without IPv6 answers for IPv4 alone.
 */
async function udpFree(port: number): Promise<boolean> {
  const [v4, v6] = await Promise.all([udpBinds('udp4', '0.0.0.0', port), udpBinds('udp6', '::', port)]);
  return v4 === 'bound' && v6 !== 'in use';
}

function udpBinds(type: SocketType, address: string, port: number): Promise<'bound' | 'in use' | 'unsupported'> {
  return new Promise((resolve) => {
    const socket = createSocket({ type, ipv6Only: type === 'udp6' });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.close();
      resolve(error.code === 'EADDRINUSE' || error.code === 'EACCES' ? 'in use' : 'unsupported');
    });
    socket.bind(port, address, () => socket.close(() => resolve('bound')));
  });
}

/**
 * A server's ports, read over SSH from /proc/net/{tcp,tcp6,udp,udp6} once per run: a TCP port is busy when a
 * socket listens on it (state 0A), a UDP port when a socket is bound to it. The engine's own published ports
 * show there too (docker-proxy listens for them).
 */
export class RemotePortProbe implements PortProbe {
  private busy: Promise<Record<PortProtocol, Set<number>>> | undefined;

  constructor(private readonly host: HostCommands) {}

  async isFree(port: number, protocol: PortProtocol = 'tcp'): Promise<boolean> {
    this.busy ??= this.host
      .run('for f in tcp tcp6 udp udp6; do echo "@@$f"; cat /proc/net/$f 2>/dev/null; done')
      .then(({ stdout }) => busyPorts(stdout));
    return !(await this.busy)[protocol].has(port);
  }
}

/** Pure: the busy ports in /proc/net's socket tables, each table after a line "@@tcp", "@@udp6"... */
export function busyPorts(text: string): Record<PortProtocol, Set<number>> {
  const busy = { tcp: new Set<number>(), udp: new Set<number>() };
  let table: PortProtocol | undefined;
  for (const line of text.split('\n')) {
    const header = /^@@(tcp|udp)6?$/.exec(line.trim());
    if (header) {
      table = header[1] as PortProtocol;
      continue;
    }
    const fields = line.trim().split(/\s+/);
    const local = fields[1]?.split(':');
    if (!table || !local || local.length !== 2 || !/^\d+:$/.test(fields[0] ?? '')) continue;
    if (table === 'tcp' && fields[3] !== '0A') continue;
    busy[table].add(Number.parseInt(local[1]!, 16));
  }
  return busy;
}
