/** An IPv4 block: its first address as a 32-bit number and its prefix length. */
export interface Cidr {
  base: number;
  prefix: number;
}

export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${text}`);
  return parts.reduce((value, part) => {
    const octet = Number(part);
    if (!/^\d{1,3}$/.test(part) || octet > 255) throw new Error(`not an IPv4 address: ${text}`);
    return value * 256 + octet;
  }, 0);
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/** Parses "10.0.0.0/24"; a bare address is a /32. The base is aligned down to the prefix. */
export function parseCidr(text: string): Cidr {
  const [address, prefixText] = text.trim().split('/');
  const prefix = prefixText === undefined ? 32 : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`not a CIDR block: ${text}`);
  const value = parseIpv4(address ?? '');
  const size = blockSize(prefix);
  return { base: Math.floor(value / size) * size, prefix };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIpv4(cidr.base)}/${cidr.prefix}`;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + blockSize(b.prefix) && b.base < a.base + blockSize(a.prefix);
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && inner.base + blockSize(inner.prefix) <= outer.base + blockSize(outer.prefix);
}

/** Every aligned block of `prefix` inside `range`, in address order. */
export function* blocksOf(range: Cidr, prefix: number): Generator<Cidr> {
  if (prefix < range.prefix) return;
  const size = blockSize(prefix);
  const end = range.base + blockSize(range.prefix);
  for (let base = range.base; base < end; base += size) yield { base, prefix };
}

/** The smallest prefix whose block holds `hosts` addresses besides network, gateway and broadcast. */
export function prefixFor(hosts: number): number {
  let prefix = 30;
  while (prefix > 0 && blockSize(prefix) - 3 < hosts) prefix -= 1;
  return prefix;
}

/** The gateway Docker would pick: the first usable address of the block. */
export function gatewayOf(cidr: Cidr): string {
  return formatIpv4(cidr.base + 1);
}
