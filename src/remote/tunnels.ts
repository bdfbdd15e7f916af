import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { allocatePorts } from '../allocation/ports/allocate-ports.js';
import type { PortGrant } from '../allocation/ports/port-request.js';
import type { PortProbe } from '../allocation/ports/probe.js';
import type { SshHost, Tunnel } from '../engine/ssh-host.js';
import type { Grant } from '../model/grant.js';
import type { PortRange } from '../workspace/settings.js';

/** A laptop port forwarded to a port the server's engine publishes. */
export interface Forward {
  key: string;
  project: string;
  service: string;
  /** The laptop's end, on 127.0.0.1. */
  local: number;
  /** The server's end: the host port its engine publishes. */
  remote: number;
  remoteBind: string;
}

/** compose/tunnels@<engine>.json: the laptop ends chosen before, kept while they stay free. */
export function tunnelsFile(composeDir: string, engine: string): string {
  return join(composeDir, `tunnels@${engine}.json`);
}

export function readForwards(composeDir: string, engine: string): Forward[] {
  const file = tunnelsFile(composeDir, engine);
  if (!existsSync(file)) return [];
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { forwards: Forward[] }).forwards;
  } catch {
    return [];
  }
}

/**
 * The laptop end of each TCP port the server publishes, chosen by the port allocator with the laptop's own
 * listeners counted: the same number as on the server where it is free here, else the next free one in the
 * workspace's range; a port chosen before is kept while it stays free. UDP ports cannot go through an SSH
 * forward: they are returned apart, for the caller to name.
 */
export async function chooseForwards(input: {
  grants: readonly PortGrant[];
  composeDir: string;
  engine: string;
  range: PortRange;
  probe: PortProbe;
}): Promise<{ forwards: Forward[]; udp: PortGrant[] }> {
  const tcp = input.grants.filter((grant) => grant.protocol === 'tcp');
  const previous = new Map<string, Grant<number>>(
    readForwards(input.composeDir, input.engine).map((forward) => [
      forward.key,
      { key: forward.key, value: forward.local, signature: String(forward.remote) },
    ]),
  );
  const allocation = await allocatePorts({
    requests: tcp.map((grant) => ({ ...grant, preferred: grant.host, bind: '127.0.0.1' })),
    previous,
    range: input.range,
    probe: input.probe,
    enginePorts: new Map(),
  });
  const forwards = allocation.grants.map((grant, index) => ({
    key: grant.key,
    project: grant.project,
    service: grant.service,
    local: grant.host,
    remote: tcp[index]!.host,
    remoteBind: tcp[index]!.bind,
  }));
  mkdirSync(input.composeDir, { recursive: true });
  writeFileAtomic.sync(tunnelsFile(input.composeDir, input.engine), `${JSON.stringify({ forwards }, null, 2)}\n`);
  return { forwards, udp: input.grants.filter((grant) => grant.protocol === 'udp') };
}

/** The server's end as the laptop's ssh asks for it: a wildcard bind is reached on the server's loopback. */
function remoteHostOf(bind: string): string {
  return bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;
}

/** Opens one ssh process carrying every forward. */
export function openTunnel(host: SshHost, forwards: readonly Forward[]): Promise<Tunnel> {
  return host.tunnel(
    forwards.map((forward) => ({
      local: forward.local,
      remote: forward.remote,
      remoteHost: remoteHostOf(forward.remoteBind),
    })),
  );
}

/**
 * Keeps the forwards matching what the server publishes while `up` runs: after each reconcile it reopens them
 * only when the set of ports changed (its own listeners would otherwise count as taken).
 */
export class TunnelKeeper {
  private tunnel: Tunnel | undefined;
  private shape = '';
  forwards: Forward[] = [];

  constructor(
    private readonly host: SshHost,
    private readonly choose: (grants: readonly PortGrant[]) => Promise<{ forwards: Forward[]; udp: PortGrant[] }>,
  ) {}

  async update(grants: readonly PortGrant[]): Promise<{ forwards: Forward[]; udp: PortGrant[]; changed: boolean }> {
    const shape = grants
      .map((grant) => `${grant.key}=${grant.host}`)
      .sort()
      .join(',');
    if (shape === this.shape && this.tunnel)
      return { forwards: this.forwards, udp: grants.filter((g) => g.protocol === 'udp'), changed: false };
    await this.stop();
    const { forwards, udp } = await this.choose(grants);
    if (forwards.length) this.tunnel = await openTunnel(this.host, forwards);
    this.forwards = forwards;
    this.shape = shape;
    return { forwards, udp, changed: true };
  }

  async stop(): Promise<void> {
    const tunnel = this.tunnel;
    this.tunnel = undefined;
    await tunnel?.stop();
  }
}
