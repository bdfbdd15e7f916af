import { parse as parseShell } from 'shell-quote';
import type { ServiceSpec } from './compose-types.js';
import { scalarText } from './scalar.js';

/**
 * Compose's short syntaxes read into their long form, once, for every stage that needs the value (the engine's
 * desired state, the inputs `up` watches): a string or a list, a command line, `nofile: 65535`.
 */

/** `dns: 10.0.0.2` or `dns: [10.0.0.2, ...]`. */
export function listValue(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** `command: python -m http.server "8 0"` split as a shell would, or the list as written. */
export function commandWords(command: unknown): string[] | undefined {
  if (command === undefined || command === null) return undefined;
  if (Array.isArray(command)) return command.map(scalarText);
  return parseShell(scalarText(command)).map((part) =>
    typeof part === 'string' ? part : 'op' in part ? part.op : scalarText(part),
  );
}

/** A service's env_file entries in long form: a path, a list of paths, or `{ path, required }`. */
export function envFileEntries(spec: ServiceSpec): Array<{ path: string; required: boolean }> {
  const files = spec.env_file === undefined ? [] : Array.isArray(spec.env_file) ? spec.env_file : [spec.env_file];
  return files.map((file) =>
    typeof file === 'string' ? { path: file, required: true } : { path: file.path, required: file.required ?? true },
  );
}

/** `nofile: 65535` or `nofile: { soft: 1024, hard: 2048 }`. */
export function ulimitEntries(ulimits: unknown): Array<{ name: string; soft: number; hard: number }> | undefined {
  if (ulimits === undefined) return undefined;
  return Object.entries(ulimits as Record<string, number | { soft: number; hard: number }>).map(([name, value]) =>
    typeof value === 'object'
      ? { name, soft: Number(value.soft), hard: Number(value.hard) }
      : { name, soft: Number(value), hard: Number(value) },
  );
}

/** "/dev/ttyUSB0", "/dev/ttyUSB0:/dev/ttyS0:rw", or { source, target, permissions }; rwm when unsaid. */
export function deviceEntries(
  devices: unknown,
): Array<{ source: string; target: string; permissions: string }> | undefined {
  if (devices === undefined) return undefined;
  return (devices as Array<string | { source: string; target?: string; permissions?: string }>).map((device) => {
    const [source, target, permissions] =
      typeof device === 'string' ? device.split(':') : [device.source, device.target, device.permissions];
    return { source: source, target: target ?? source, permissions: permissions ?? 'rwm' };
  });
}
