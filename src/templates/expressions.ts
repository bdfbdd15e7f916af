import { InputError, type SourceLocation } from '../errors/envctl-error.js';
import { didYouMean } from '../util/suggest.js';
import type { ParamValue } from './template-schema.js';

/** What placeholders can name: `${{ namespace.name }}`, e.g. params.python, ports.jupyter, project.dir. */
export type Scope = Record<string, Record<string, ParamValue>>;

const PLACEHOLDER = /\$\{\{(.*?)\}\}/g;
const EXPRESSION = /^([a-z_]+)\.([A-Za-z0-9_-]+)$/;

export function hasPlaceholder(text: string): boolean {
  return text.includes('${{');
}

/**
 * Replaces every placeholder in `text`. A text that is exactly one placeholder takes the value's own
 * type (a port stays a number); otherwise values are joined in as text. The result is never parsed
 * again, so a value cannot smuggle in YAML.
 */
export function substitute(text: string, scope: Scope, location: SourceLocation): ParamValue {
  const whole = /^\$\{\{(.*?)\}\}$/.exec(text);
  if (whole && !whole[1]!.includes('}}')) return lookup(whole[1]!, scope, location);
  const replaced = text.replace(PLACEHOLDER, (_match, expression: string) =>
    String(lookup(expression, scope, location)),
  );
  if (replaced.includes('${{')) {
    throw new InputError(`${where(location)}: unclosed placeholder in "${text}".`, {
      location,
      hint: 'A placeholder is written ${{ namespace.name }}, e.g. ${{ params.python }}.',
    });
  }
  return replaced;
}

function lookup(expression: string, scope: Scope, location: SourceLocation): ParamValue {
  const trimmed = expression.trim();
  const match = EXPRESSION.exec(trimmed);
  const known = Object.entries(scope).flatMap(([namespace, values]) =>
    Object.keys(values).map((name) => `${namespace}.${name}`),
  );
  if (!match) {
    throw new InputError(`${where(location)}: "\${{ ${trimmed} }}" is not a placeholder envctl understands.`, {
      location,
      hint: `A placeholder names one value as namespace.name. Available here: ${known.join(', ') || '(none)'}.`,
    });
  }
  const value = scope[match[1]!]?.[match[2]!];
  if (value === undefined) {
    throw new InputError(`${where(location)}: unknown placeholder "\${{ ${trimmed} }}".`, {
      location,
      hint: `${didYouMean(trimmed, known)}Available here: ${known.join(', ') || '(none)'}.`,
    });
  }
  return value;
}

function where(location: SourceLocation): string {
  return `${location.file}${location.line ? `:${location.line}` : ''}`;
}
