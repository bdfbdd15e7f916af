import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

// node's own execFile, not execa: this runs on every render, and loading execa cost more than the call.
const execFileAsync = promisify(execFile);
import { formatCidr, parseCidr, type Cidr } from '../../util/cidr.js';

/** A block the host already routes or holds an address in; `device` says through which interface. */
export interface HostRoute {
  cidr: Cidr;
  device: string;
}

/** Reads what the host's kernel routes: every routing table (VPNs often use their own), addresses included. */
export interface RouteSource {
  routes(): Promise<HostRoute[]>;
}

export class KernelRoutes implements RouteSource {
  async routes(): Promise<HostRoute[]> {
    const found = [...(await fromIpCommand()), ...(await fromProcRoute()), ...fromInterfaces()];
    const unique = new Map<string, HostRoute>();
    for (const route of found)
      if (route.cidr.prefix > 0) unique.set(`${formatCidr(route.cidr)} ${route.device}`, route);
    return [...unique.values()];
  }
}

/** `ip route show table all` sees the policy-routing tables that WireGuard and Tailscale use. */
async function fromIpCommand(): Promise<HostRoute[]> {
  try {
    const { stdout } = await execFileAsync('ip', ['-4', '-j', 'route', 'show', 'table', 'all'], { timeout: 2000 });
    const rows = JSON.parse(stdout) as Array<{ dst?: string; dev?: string; type?: string }>;
    return rows.flatMap((row) => {
      if (!row.dst || row.dst === 'default') return [];
      try {
        return [{ cidr: parseCidr(row.dst), device: row.dev ?? '' }];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

/** /proc/net/route: the main table, for hosts without iproute2. Addresses are little-endian hex. */
async function fromProcRoute(): Promise<HostRoute[]> {
  let text: string;
  try {
    text = await readFile('/proc/net/route', 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .slice(1)
    .flatMap((line) => {
      const [device, destination, , , , , , mask] = line.trim().split(/\s+/);
      if (!device || !destination || !mask) return [];
      const base = littleEndianHex(destination);
      const prefix = bitCount(littleEndianHex(mask));
      return [{ cidr: { base, prefix }, device }];
    });
}

function fromInterfaces(): HostRoute[] {
  return Object.entries(networkInterfaces()).flatMap(([device, addresses]) =>
    (addresses ?? [])
      .filter((address) => address.family === 'IPv4' && address.cidr)
      .map((address) => ({ cidr: parseCidr(address.cidr!), device })),
  );
}

function littleEndianHex(hex: string): number {
  const value = Number.parseInt(hex, 16);
  return (
    (value & 0xff) * 2 ** 24 +
    ((value >>> 8) & 0xff) * 2 ** 16 +
    ((value >>> 16) & 0xff) * 2 ** 8 +
    ((value >>> 24) & 0xff)
  );
}

function bitCount(value: number): number {
  let count = 0;
  for (let v = value >>> 0; v; v >>>= 1) count += v & 1;
  return count;
}
