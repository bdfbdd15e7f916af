/**
 * A Compose scalar (string, number or boolean, as the schema allows where a string is meant) as text;
 * anything else as JSON, so a value the schema let through is never printed as "[object Object]".
 */
export function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? '';
}
