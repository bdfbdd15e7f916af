import { contains, parseCidr, type Cidr } from '../../util/cidr.js';

/**
 * The prefixes of /proc/net/fib_trie: every IPv4 routing table (Main, Local, and the policy tables VPNs such
 * as WireGuard and Tailscale use), as "table prefix type" lines, sorted. Pure: the text comes in.
 */
export function fibTriePrefixes(text: string): string[] {
  const prefixes = new Set<string>();
  let table = '';
  let address = '';
  for (const line of text.split('\n')) {
    if (/^\S/.test(line)) table = line.trim().replace(/:$/, '');
    const leaf = /^\s+\|-- (\d+\.\d+\.\d+\.\d+)$/.exec(line);
    if (leaf) address = leaf[1]!;
    const prefix = /^\s+\/(\d+) \S+ (\S+)/.exec(line);
    if (prefix && address) prefixes.add(`${table} ${address}/${prefix[1]} ${prefix[2]}`);
  }
  return [...prefixes].sort();
}

/** The prefixes outside `blocks`: the host's routes less those of Docker's own networks, which come and go. */
export function prefixesOutside(prefixes: readonly string[], blocks: readonly Cidr[]): string[] {
  return prefixes.filter((line) => {
    // "table prefix type", where the table may be "Id 51820".
    const cidr = parseCidr(line.split(' ').at(-2)!);
    return !blocks.some((block) => contains(block, cidr));
  });
}
