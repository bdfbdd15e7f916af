import { ComposeTagged } from '../util/yaml-source.js';
import type { ComposeFile, VolumeMount } from './compose-types.js';
import { normalizePort } from './ports.js';
import { volumeTarget } from './volumes.js';

type Mapping = Record<string, unknown>;

/** Service keys whose value replaces the earlier one instead of merging (Compose: "shell commands"). */
const REPLACED = new Set(['command', 'entrypoint']);
/** Service keys written as a list or a mapping; both become a mapping before merging. */
const LIST_OR_MAPPING = new Set(['environment', 'labels', 'extra_hosts', 'sysctls', 'annotations']);
/** Sequences whose entries are unique by a key, per the Compose merge rules. */
const UNIQUE_BY: Record<string, (entry: unknown) => string> = {
  ports: (entry) => {
    const port = normalizePort(entry as string);
    return typeof port === 'string'
      ? JSON.stringify(entry)
      : `${port.host_ip ?? ''}|${port.target}|${port.published ?? ''}|${port.protocol ?? 'tcp'}`;
  },
  volumes: (entry) => volumeTarget(entry as string | VolumeMount),
  secrets: (entry) =>
    typeof entry === 'string' ? entry : String((entry as Mapping).target ?? (entry as Mapping).source),
  configs: (entry) =>
    typeof entry === 'string' ? entry : String((entry as Mapping).target ?? (entry as Mapping).source),
};

/** Merges `override` over `base` with the Compose Specification's merge rules (13-merge.md). */
export function mergeCompose(base: ComposeFile, override: ComposeFile): ComposeFile {
  const merged = mergeMapping(base, override, []) as ComposeFile;
  return merged;
}

function mergeMapping(base: Mapping, override: Mapping, path: string[]): Mapping {
  const result: Mapping = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value instanceof ComposeTagged) {
      if (value.tag === '!reset') delete result[key];
      else result[key] = stripMarkers(value.value);
      continue;
    }
    result[key] = key in result ? mergeValue(result[key], value, [...path, key]) : stripMarkers(value);
  }
  return result;
}

function mergeValue(base: unknown, override: unknown, path: string[]): unknown {
  const key = path.at(-1)!;
  const inService = path.length === 3 && path[0] === 'services';
  if (inService && REPLACED.has(key)) return stripMarkers(override);
  if (path.length === 4 && path[0] === 'services' && path[2] === 'healthcheck' && key === 'test')
    return stripMarkers(override);
  if (inService && (LIST_OR_MAPPING.has(key) || key === 'depends_on' || key === 'networks')) {
    return mergeMapping(asMapping(base, key), asMapping(override, key), path);
  }
  if (inService && key === 'build') return mergeMapping(asBuild(base), asBuild(override), path);
  if (path.length === 4 && path[0] === 'services' && path[2] === 'build' && key === 'args') {
    return mergeMapping(asMapping(base, key), asMapping(override, key), path);
  }
  if (Array.isArray(base) && Array.isArray(override)) {
    const uniqueKey = inService ? UNIQUE_BY[key] : undefined;
    return uniqueKey ? mergeUnique(base, override, uniqueKey) : appendNew(base, override);
  }
  if (isMapping(base) && isMapping(override)) return mergeMapping(base, override, path);
  return stripMarkers(override);
}

function mergeUnique(base: unknown[], override: unknown[], keyOf: (entry: unknown) => string): unknown[] {
  const byKey = new Map<string, unknown>();
  for (const entry of [...base, ...override]) byKey.set(keyOf(entry), stripMarkers(entry));
  return [...byKey.values()];
}

function appendNew(base: unknown[], override: unknown[]): unknown[] {
  const seen = new Set(base.map((entry) => JSON.stringify(entry)));
  return [...base, ...override.filter((entry) => !seen.has(JSON.stringify(entry))).map(stripMarkers)];
}

/** ["A=1", "B"] or { A: 1 } → { A: "1", B: null }; depends_on and networks lists → mappings too. */
export function asMapping(value: unknown, key: string): Mapping {
  if (!Array.isArray(value)) return (value ?? {}) as Mapping;
  if (key === 'depends_on')
    return Object.fromEntries(value.map((name) => [String(name), { condition: 'service_started' }]));
  if (key === 'networks') return Object.fromEntries(value.map((name) => [String(name), null]));
  const separator = key === 'extra_hosts' ? /[:=]/ : /=/;
  return Object.fromEntries(
    value.map((entry) => {
      const text = String(entry);
      const match = separator.exec(text);
      return match ? [text.slice(0, match.index), text.slice(match.index + 1)] : [text, null];
    }),
  );
}

function asBuild(value: unknown): Mapping {
  return typeof value === 'string' ? { context: value } : ((value ?? {}) as Mapping);
}

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof ComposeTagged);
}

/** A value from an override may hold markers deeper down; resolve them as if merged over nothing. */
function stripMarkers(value: unknown): unknown {
  if (value instanceof ComposeTagged) return value.tag === '!reset' ? undefined : stripMarkers(value.value);
  if (Array.isArray(value)) return value.map(stripMarkers);
  if (isMapping(value)) {
    return Object.fromEntries(
      Object.entries(value)
        .map(([k, v]) => [k, stripMarkers(v)] as const)
        .filter(([, v]) => v !== undefined),
    );
  }
  return value;
}
