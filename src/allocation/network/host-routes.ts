import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { contains, formatCidr, parseCidr, type Cidr } from '../../util/cidr.js';
import type { HostCommands } from '../../util/host-commands.js';

/** A block the host already routes or holds an address in; `device` says through which interface. */
export interface HostRoute {
  cidr: Cidr;
  device: string;
}

/** Reads what the host's kernel routes: every routing table (VPNs often use their own), addresses included. */
export interface RouteSource {
  routes(): Promise<HostRoute[]>;
}

/** The kernel's routes, read from /proc without running `ip` (render and the no-op up both read them). */
export class KernelRoutes implements RouteSource {
  routes(): Promise<HostRoute[]> {
    return Promise.resolve(readHostRoutes());
  }
}

/** One reader of the host's routes for everyone: the subnet allocator and the up stamp. */
export function readHostRoutes(): HostRoute[] {
  const interfaces = Object.entries(networkInterfaces()).flatMap(([device, addresses]) =>
    (addresses ?? [])
      .filter((address) => address.family === 'IPv4' && address.cidr)
      .map((address) => ({ cidr: parseCidr(address.cidr!), device })),
  );
  return hostRoutesFrom(readProc('/proc/net/fib_trie'), readProc('/proc/net/route'), interfaces);
}

/**
 * Pure: every IPv4 prefix of every routing table (/proc/net/fib_trie: Main, Local, and the policy tables that
 * WireGuard and Tailscale use), each with the device it goes through: the main table's route that holds it
 * (/proc/net/route), else the interface whose address block holds it, else the table's name. Without
 * fib_trie, the main table and the interfaces' own blocks.
 */
export function hostRoutesFrom(
  fibTrie: string | undefined,
  procRoute: string | undefined,
  interfaces: readonly HostRoute[],
): HostRoute[] {
  const main = procRoute === undefined ? [] : mainTable(procRoute);
  const deviceOf = (cidr: Cidr, table: string) =>
    main.find((route) => route.cidr.prefix > 0 && contains(route.cidr, cidr))?.device ??
    interfaces.find((address) => contains(address.cidr, cidr))?.device ??
    `table ${table}`;
  const found =
    fibTrie === undefined
      ? [...main, ...interfaces]
      : fibTriePrefixes(fibTrie).map(({ table, cidr }) => ({ cidr, device: deviceOf(cidr, table) }));
  const unique = new Map<string, HostRoute>();
  for (const route of found) if (route.cidr.prefix > 0) unique.set(routeLine(route), route);
  // A plain code-unit order: localeCompare would load ICU's collation, several ms on the no-op up's path.
  return [...unique.keys()].sort().map((line) => unique.get(line)!);
}

export function routeLine(route: HostRoute): string {
  return `${formatCidr(route.cidr)} ${route.device}`;
}

/** Pure: the prefixes of /proc/net/fib_trie, with their tables ("Main", "Local", "Id 51820"). */
export function fibTriePrefixes(text: string): Array<{ table: string; cidr: Cidr }> {
  const prefixes = new Map<string, { table: string; cidr: Cidr }>();
  let table = '';
  let address = '';
  for (const line of text.split('\n')) {
    if (/^\S/.test(line)) table = line.trim().replace(/:$/, '');
    const leaf = /^\s+\|-- (\d+\.\d+\.\d+\.\d+)$/.exec(line);
    if (leaf) address = leaf[1]!;
    const prefix = /^\s+\/(\d+) \S+ \S+/.exec(line);
    if (prefix && address)
      prefixes.set(`${table} ${address}/${prefix[1]}`, { table, cidr: parseCidr(`${address}/${prefix[1]}`) });
  }
  return [...prefixes.values()];
}

/** /proc/net/route: the main table. Addresses are little-endian hex. */
function mainTable(text: string): HostRoute[] {
  return text
    .split('\n')
    .slice(1)
    .flatMap((line) => {
      const [device, destination, , , , , , mask] = line.trim().split(/\s+/);
      if (!device || !destination || !mask) return [];
      return [{ cidr: { base: littleEndianHex(destination), prefix: bitCount(littleEndianHex(mask)) }, device }];
    });
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
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

const SECTION = '@@envctl@@';

/** A server's routes, read over SSH from the same /proc files, and its addresses from `ip -o -4 addr`. */
export class RemoteRoutes implements RouteSource {
  private read: Promise<HostRoute[]> | undefined;

  constructor(private readonly host: HostCommands) {}

  routes(): Promise<HostRoute[]> {
    return (this.read ??= this.host
      .run(
        `cat /proc/net/fib_trie; echo ${SECTION}; cat /proc/net/route; echo ${SECTION}; ip -o -4 addr show 2>/dev/null`,
      )
      .then(({ stdout }) => {
        const [fibTrie, procRoute, addresses] = stdout.split(`${SECTION}\n`);
        return hostRoutesFrom(fibTrie || undefined, procRoute || undefined, interfaceAddresses(addresses ?? ''));
      }));
  }
}

/** Pure: `ip -o -4 addr show` lines ("2: eth0    inet 10.0.0.5/24 brd ...") as the interfaces' blocks. */
export function interfaceAddresses(text: string): HostRoute[] {
  return text.split('\n').flatMap((line) => {
    const found = /^\d+:\s+(\S+)\s+inet\s+(\d+\.\d+\.\d+\.\d+\/\d+)/.exec(line);
    return found ? [{ device: found[1]!, cidr: parseCidr(found[2]!) }] : [];
  });
}
