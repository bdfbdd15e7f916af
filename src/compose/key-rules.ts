import { SERVICE_KEYS, type KeyRule, type KeyTable, type KeyTarget, type Verdict } from './service-keys.js';
import { SLURM_REFUSED, SLURM_VERDICTS } from './slurm-keys.js';

/** Reading the key table (service-keys.ts): what a target refuses in a service, what it applies, what it carries. */

/** What `target` does with the key of `rule`, at `path` ("deploy.resources", "ports[].mode"). */
export function verdictOn(rule: KeyRule, target: KeyTarget, path: string): Verdict {
  const onEngine: Verdict = rule.kind === 'applied' ? { kind: 'applied', where: rule.engine } : rule;
  if (target === 'swarm') return rule.swarm ?? onEngine;
  if (target === 'slurm') return SLURM_VERDICTS[path] ?? (/[.[]/.test(path) ? onEngine : slurmRefused(rule));
  return onEngine;
}

/** A key no Slurm verdict names: refused there, its Compose default accepted as on one engine. */
function slurmRefused(rule: KeyRule): Verdict {
  return {
    kind: 'refused',
    why: SLURM_REFUSED,
    ...(rule.kind === 'refused' && rule.accepts ? { accepts: rule.accepts } : {}),
  };
}

/** "deploy.resources", "ports[].mode": a path as the key table's columns name it (no list indexes). */
function pathText(path: Path): string {
  return path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[]` : text ? `${text}.${part}` : part),
    '',
  );
}

export interface RefusedUse {
  /** Path from the service: ["deploy", "placement"], ["ports", 0, "mode"]. */
  path: Array<string | number>;
  why: string;
}

/** The keys of a service (or of a value of another table) that `target` does not apply, and why. */
export function refusedKeys(
  value: Record<string, unknown>,
  table: KeyTable = SERVICE_KEYS,
  target: KeyTarget = 'engine',
): RefusedUse[] {
  return walk(value, table, [], target);
}

function walk(value: Record<string, unknown>, table: KeyTable, path: Path, target: KeyTarget): RefusedUse[] {
  const found: RefusedUse[] = [];
  for (const [key, inner] of Object.entries(value)) {
    if (key.startsWith('x-')) continue;
    const rule = table[key];
    const at = [...path, key];
    if (!rule) {
      found.push({ path: at, why: 'not a key envctl knows here' });
      continue;
    }
    const verdict = verdictOn(rule, target, pathText(at));
    if (verdict.kind === 'refused') {
      if (!verdict.accepts?.(inner)) found.push({ path: at, why: verdict.why });
    } else if (rule.kind === 'applied') {
      if (rule.keys && isMapping(inner)) found.push(...walk(inner, rule.keys, at, target));
      if (rule.entries) found.push(...walkEntries(inner, rule.entries, at, target));
    }
  }
  return found;
}

type Path = Array<string | number>;

function walkEntries(value: unknown, table: KeyTable, path: Path, target: KeyTarget): RefusedUse[] {
  const entries: Array<[string | number, unknown]> = Array.isArray(value)
    ? [...value.entries()]
    : isMapping(value)
      ? Object.entries(value)
      : [];
  return entries.flatMap(([key, entry]) => (isMapping(entry) ? walk(entry, table, [...path, key], target) : []));
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every key `target` applies, as dotted paths ("deploy.resources.limits.cpus"), for the README and its test. */
export function appliedPaths(table: KeyTable = SERVICE_KEYS, target: KeyTarget = 'engine', prefix = ''): string[] {
  return Object.entries(table).flatMap(([key, rule]) => {
    const path = `${prefix}${key}`;
    if (rule.kind !== 'applied' || verdictOn(rule, target, path).kind !== 'applied') return [];
    const deeper = [
      ...(rule.keys ? appliedPaths(rule.keys, target, `${path}.`) : []),
      ...(rule.entries ? appliedPaths(rule.entries, target, `${path}[].`) : []),
    ];
    return [path, ...deeper];
  });
}

/** The keys under `table` that `target` refuses, as dotted paths, for the README's table. */
export function refusedPaths(table: KeyTable, target: KeyTarget, prefix: string): string[] {
  return Object.entries(table).flatMap(([key, rule]) => {
    const path = `${prefix}${key}`;
    if (verdictOn(rule, target, path).kind === 'refused') return [path];
    if (rule.kind !== 'applied') return [];
    return [
      ...(rule.keys ? refusedPaths(rule.keys, target, `${path}.`) : []),
      ...(rule.entries ? refusedPaths(rule.entries, target, `${path}[].`) : []),
    ];
  });
}
