import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { busyPorts, HostPortProbe, RemotePortProbe } from '../../../src/allocation/ports/probe.js';

const servers: Server[] = [];

function listen(host: string, options: { ipv6Only?: boolean } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    servers.push(server);
    server.once('error', reject);
    server.listen({ port: 0, host, ...options }, () => resolve((server.address() as { port: number }).port));
  });
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('HostPortProbe (real sockets)', () => {
  it.each([
    ['127.0.0.1', {}],
    ['0.0.0.0', {}],
    ['::', { ipv6Only: true }],
    ['::', {}],
  ])('sees a port listened on at %s %j as busy', async (host, options) => {
    const port = await listen(host, options);
    expect(await new HostPortProbe().isFree(port)).toBe(false);
  });

  it('sees a closed port as free, and asks again in a new probe after it is taken', async () => {
    const port = await listen('127.0.0.1');
    await new Promise((resolve) => servers.pop()!.close(resolve));
    expect(await new HostPortProbe().isFree(port)).toBe(true);
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen({ port, host: '127.0.0.1' }, resolve));
    expect(await new HostPortProbe().isFree(port)).toBe(false);
  });

  it.each([
    ['127.0.0.1', 'udp4'],
    ['0.0.0.0', 'udp4'],
    ['::1', 'udp6'],
  ] as const)('sees a UDP port bound at %s as busy for UDP, and not for TCP', async (host, type) => {
    const socket: Socket = createSocket(type);
    await new Promise<void>((resolve) => socket.bind(0, host, resolve));
    const { port } = socket.address();
    try {
      expect(await new HostPortProbe().isFree(port, 'udp')).toBe(false);
      expect(await new HostPortProbe().isFree(port, 'tcp')).toBe(true);
    } finally {
      socket.close();
    }
  });

  it('sees a TCP listener as busy for TCP and not for UDP', async () => {
    const port = await listen('127.0.0.1');
    expect(await new HostPortProbe().isFree(port, 'tcp')).toBe(false);
    expect(await new HostPortProbe().isFree(port, 'udp')).toBe(true);
  });
});

describe("a server's ports, from /proc/net read over SSH", () => {
  const tables = [
    '@@tcp',
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:7210 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
    '   1: 024DFA0A:0016 014DFA0A:ECFE 01 00000000:00000000 02:000AFC60 00000000     0        0 2 3',
    '@@tcp6',
    '   0: 00000000000000000000000000000000:22B8 00000000000000000000000000000000:0000 0A 0:0 00:0 0 0 0 3',
    '@@udp',
    '   0: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4 2',
    '@@udp6',
  ].join('\n');

  it('counts listening TCP sockets (v4 and v6) and bound UDP ones; an established connection holds no port', async () => {
    expect(busyPorts(tables)).toEqual({ tcp: new Set([29200, 8888]), udp: new Set([5353]) });
    const host = { hostName: 'gpu1', run: () => Promise.resolve({ exitCode: 0, stdout: tables, stderr: '' }) };
    const probe = new RemotePortProbe(host);
    expect(await probe.isFree(29200)).toBe(false);
    expect(await probe.isFree(22)).toBe(true);
    expect(await probe.isFree(5353, 'udp')).toBe(false);
  });
});
