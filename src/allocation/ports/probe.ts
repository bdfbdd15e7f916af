import { createSocket, type SocketType } from 'node:dgram';
import getPort, { clearLockedPorts } from 'get-port';

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
