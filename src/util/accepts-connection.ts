import { connect } from 'node:net';

/** Whether something accepts a TCP connection on 127.0.0.1:port now (the connection is closed at once). */
export function acceptsConnection(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('timeout')));
  });
}
