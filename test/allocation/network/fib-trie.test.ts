import { describe, expect, it } from 'vitest';
import { parseCidr } from '../../../src/util/cidr.js';
import { fibTriePrefixes, prefixesOutside } from '../../../src/allocation/network/fib-trie.js';

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

describe('the host routes of /proc/net/fib_trie', () => {
  it("lists every table's prefixes, several lengths of one address among them", () => {
    expect(fibTriePrefixes(FIB_TRIE)).toEqual([
      'Id 51820 10.8.0.0/16 UNICAST',
      'Local 127.0.0.1/32 LOCAL',
      'Main 0.0.0.0/0 UNICAST',
      'Main 127.0.0.0/8 LOCAL',
      'Main 127.0.0.1/32 LOCAL',
      'Main 127.255.255.255/32 BROADCAST',
      'Main 172.17.0.0/16 UNICAST',
      'Main 172.17.0.1/32 LOCAL',
      'Main 192.0.2.0/24 UNICAST',
      'Main 192.0.2.0/26 UNICAST',
    ]);
  });

  it("leaves out what lies inside Docker's networks, and keeps the rest", () => {
    const outside = prefixesOutside(fibTriePrefixes(FIB_TRIE), [parseCidr('172.17.0.0/16')]);
    expect(outside.some((line) => line.includes('172.17.'))).toBe(false);
    expect(outside).toContain('Id 51820 10.8.0.0/16 UNICAST');
    expect(outside).toHaveLength(8);
  });
});
