import type { PortSpec } from './compose-types.js';

/**
 * A Compose port entry in long syntax. Short forms ("8080:80", "127.0.0.1:8080:80/udp", "80", 80)
 * are read the way Compose reads them. Returns an error text for forms envctl does not manage.
 */
export function normalizePort(entry: string | number | PortSpec): PortSpec | string {
  if (typeof entry === 'object') return { ...entry, target: Number(entry.target) };
  const text = String(entry);
  const [spec, protocol = 'tcp'] = text.split('/');
  const parts = splitHostIp(spec!);
  const target = parts.at(-1)!;
  if (target.includes('-') || parts.slice(0, -1).some((part) => part.includes('-'))) {
    return `port ranges ("${text}") are not supported: list each port on its own line`;
  }
  const result: PortSpec = { target: Number(target), protocol };
  if (parts.length >= 2 && parts.at(-2) !== '') result.published = parts.at(-2)!;
  if (parts.length === 3) result.host_ip = parts[0]!.replace(/^\[|\]$/g, '');
  if (!Number.isInteger(result.target)) return `"${text}" is not a port`;
  return result;
}

/** Splits "ip:host:container" where ip may be a bracketed IPv6 address. */
function splitHostIp(spec: string): string[] {
  const v6 = /^(\[[^\]]+\]):(.*)$/.exec(spec);
  if (v6) return [v6[1]!, ...v6[2]!.split(':')];
  return spec.split(':');
}
