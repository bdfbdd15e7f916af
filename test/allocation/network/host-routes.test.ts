import { describe, expect, it } from 'vitest';
import { formatCidr, parseCidr } from '../../../src/util/cidr.js';
import {
  fibTriePrefixes,
  hostRoutesFrom,
  interfaceAddresses,
  routeLine,
} from '../../../src/allocation/network/host-routes.js';

// /proc/net/fib_trie as this machine printed it, with a Docker bridge (172.17.0.0/16) and a WireGuard-style
// policy table (Id 51820) added in the kernel's format.
const FIB_TRIE = `Main:
  +-- 0.0.0.0/0 3 0 4
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     +-- 172.16.0.0/15 2 0 2
        +-- 172.17.0.0/31 1 0 0
           |-- 172.17.0.0
              /16 link UNICAST
           |-- 172.17.0.1
              /32 host LOCAL
     |-- 192.0.2.0
        /24 link UNICAST
        /26 link UNICAST
Id 51820:
  |-- 10.8.0.0
     /16 universe UNICAST
Local:
  +-- 0.0.0.0/0 3 0 4
     |-- 127.0.0.1
        /32 host LOCAL
`;

// /proc/net/route's main table for the same host: eth0 and the Docker bridge.
const PROC_ROUTE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
`;
const INTERFACES = [
  { cidr: parseCidr('127.0.0.1/8'), device: 'lo' },
  { cidr: parseCidr('172.17.0.1/16'), device: 'docker0' },
];

describe('the host routes, one reader for the allocator and the up stamp', () => {
  it("lists every table's prefixes, several lengths of one address among them", () => {
    const prefixes = fibTriePrefixes(FIB_TRIE).map(({ table, cidr }) => `${table} ${formatCidr(cidr)}`);
    expect(prefixes.sort()).toEqual([
      'Id 51820 10.8.0.0/16',
      'Local 127.0.0.1/32',
      'Main 0.0.0.0/0',
      'Main 127.0.0.0/8',
      'Main 127.0.0.1/32',
      'Main 127.255.255.255/32',
      'Main 172.17.0.0/16',
      'Main 172.17.0.1/32',
      'Main 192.0.2.0/24',
      'Main 192.0.2.0/26',
    ]);
  });

  it('names the device of each prefix: the main route that holds it, else the interface, else the table', () => {
    const lines = hostRoutesFrom(FIB_TRIE, PROC_ROUTE, INTERFACES).map(routeLine);
    expect(lines).toEqual([
      '10.8.0.0/16 table Id 51820',
      '127.0.0.0/8 lo',
      '127.0.0.1/32 lo',
      '127.255.255.255/32 lo',
      '172.17.0.0/16 docker0',
      '172.17.0.1/32 docker0',
      '192.0.2.0/24 eth0',
      '192.0.2.0/26 eth0',
    ]);
  });

  it('falls back to the main table and the interfaces where fib_trie cannot be read', () => {
    const lines = hostRoutesFrom(undefined, PROC_ROUTE, INTERFACES).map(routeLine);
    expect(lines).toEqual(['127.0.0.0/8 lo', '172.17.0.0/16 docker0', '192.0.2.0/24 eth0']);
  });
});

describe("a server's addresses", () => {
  it('reads `ip -o -4 addr show` lines', () => {
    const text = [
      '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
      '2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\\       valid_lft forever',
    ].join('\n');
    expect(interfaceAddresses(text).map(routeLine)).toEqual(['127.0.0.0/8 lo', '10.0.0.0/24 eth0']);
  });
});
