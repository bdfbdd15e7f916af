/** "2gb", "512m", "1024" → bytes, as Compose reads byte values (powers of 1024). */
export function parseBytes(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(value.trim());
  if (!match) throw new Error(`not a size: ${value}`);
  const power = ['', 'k', 'm', 'g', 't'].indexOf(match[2]!.toLowerCase());
  return Math.round(Number(match[1]) * 1024 ** power);
}

/** "1m30s", "500ms", "2h" → nanoseconds, as the Engine API wants durations. */
export function parseDurationNs(value: string | number): number {
  if (typeof value === 'number') return value * 1e9;
  const units: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let rest = value.trim();
  while (rest) {
    const match = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/.exec(rest);
    if (!match) throw new Error(`not a duration: ${value}`);
    total += Number(match[1]) * units[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  return Math.round(total);
}

/** 1.2 GB, 340 MB, 12 kB: decimal units, as docker system df writes them. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
