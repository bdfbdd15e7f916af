import { refusedPaths, verdictOn } from './key-rules.js';
import { SERVICE_KEYS, type KeyRule, type KeyTarget } from './service-keys.js';

/** Where the README's table starts and ends: scripts/key-table.mjs writes between them, a test compares. */
export const KEY_TABLE_START = '<!-- key table: generated from src/compose/service-keys.ts by npm run readme:keys -->';
export const KEY_TABLE_END = '<!-- end of key table -->';

/** The README's table of Compose service keys: one row a key, one column a target. */
export function keyTableMarkdown(): string {
  const rows = Object.entries(SERVICE_KEYS).map(
    ([key, rule]) =>
      `| \`${key}\` | ${cell(key, rule, 'engine')} | ${swarmCell(key, rule)} | ${cell(key, rule, 'slurm')} |`,
  );
  return ['| service key | on one engine | on a swarm | on a Slurm cluster |', '|---|---|---|---|', ...rows].join('\n');
}

function cell(key: string, rule: KeyRule, target: KeyTarget): string {
  const verdict = verdictOn(rule, target, key);
  if (verdict.kind === 'refused')
    return `refused: ${verdict.why}${verdict.accepts ? ' (its default is accepted)' : ''}`;
  const refused = rule.kind === 'applied' ? refusedUnder(key, rule, target) : [];
  const text = `applied: ${verdict.where}`;
  return refused.length ? `${text}; refused: ${refused.map((path) => `\`${path}\``).join(', ')}` : text;
}

/** A key a swarm refuses for the engine's reason is said once, in the engine's column. */
function swarmCell(key: string, rule: KeyRule): string {
  return rule.kind === 'refused' && !rule.swarm ? 'refused, as on one engine' : cell(key, rule, 'swarm');
}

function refusedUnder(key: string, rule: KeyRule & { kind: 'applied' }, target: KeyTarget): string[] {
  return [
    ...(rule.keys ? refusedPaths(rule.keys, target, `${key}.`) : []),
    ...(rule.entries ? refusedPaths(rule.entries, target, `${key}[].`) : []),
  ];
}
