import getPort, { clearLockedPorts } from 'get-port';

/** Tells whether a host port is free of listening sockets. */
export interface PortProbe {
  isFree(port: number): Promise<boolean>;
}

/**
 * Asks the kernel by binding: get-port tries the port on the default (dual-stack) address, 0.0.0.0 and
 * every interface address, so a listener on 127.0.0.1, 0.0.0.0 or :: each makes the port busy.
 */
export class HostPortProbe implements PortProbe {
  private readonly known = new Map<number, Promise<boolean>>();

  isFree(port: number): Promise<boolean> {
    let answer = this.known.get(port);
    if (!answer) {
      answer = getPort({ port }).then((got) => {
        // get-port keeps ports it handed out locked in-process; envctl only asks, it never keeps them.
        clearLockedPorts();
        return got === port;
      });
      this.known.set(port, answer);
    }
    return answer;
  }
}
