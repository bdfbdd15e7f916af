import { InputError } from '../errors/envctl-error.js';
import { didYouMean } from '../util/suggest.js';
import type { YamlSource } from '../util/yaml-source.js';
import { hasPlaceholder, substitute } from './expressions.js';
import type { ParamValue } from './template-schema.js';
import type { Template } from './template.js';

/**
 * The template's parameters with the project's values applied: unknown names, wrong types and values
 * outside `choices` are errors at the project's line. A default may name other parameters,
 * e.g. "python:${{ params.python }}-slim", so the base image follows the Python version.
 */
export function resolveParams(
  template: Template,
  given: Record<string, ParamValue>,
  project: YamlSource,
): Record<string, ParamValue> {
  const declared = template.declaration.params;
  const names = Object.keys(declared);
  for (const [name, value] of Object.entries(given)) {
    const location = project.locate(['params', name], { key: true });
    const spec = declared[name];
    if (!spec) {
      throw new InputError(
        `${location.file}:${location.line}: template "${template.name}" has no parameter "${name}".`,
        {
          location,
          hint:
            `${didYouMean(name, names)}Its parameters: ` +
            `${names.map((n) => `${n} (default ${JSON.stringify(declared[n]!.default)})`).join(', ') || '(none)'}.`,
        },
      );
    }
    if (typeof value !== typeof spec.default) {
      throw new InputError(
        `${location.file}:${location.line}: parameter "${name}" must be a ${typeof spec.default}, not ${JSON.stringify(value)}.`,
        {
          location: project.locate(['params', name]),
          hint: `${spec.description}. Default: ${JSON.stringify(spec.default)}.${typeof spec.default === 'string' ? ' Quote it, e.g. "3.11".' : ''}`,
        },
      );
    }
    if (spec.choices && !spec.choices.includes(value)) {
      throw new InputError(
        `${location.file}:${location.line}: ${JSON.stringify(value)} is not a choice of parameter "${name}".`,
        {
          location: project.locate(['params', name]),
          hint: `Choose one of ${spec.choices.map((choice) => JSON.stringify(choice)).join(', ')}.`,
        },
      );
    }
  }
  const resolved: Record<string, ParamValue> = {};
  const resolving = new Set<string>();
  const resolve = (name: string): ParamValue => {
    if (name in resolved) return resolved[name]!;
    const value = given[name] ?? declared[name]!.default;
    if (typeof value !== 'string' || !hasPlaceholder(value) || name in given) return (resolved[name] = value);
    const location = template.source.locate(['params', name, 'default']);
    if (resolving.has(name)) {
      throw new InputError(
        `${location.file}:${location.line}: the default of parameter "${name}" refers to itself through other parameters.`,
        {
          location,
          hint: 'Give one of the parameters in that cycle a plain default.',
        },
      );
    }
    resolving.add(name);
    const lazy = new Proxy(
      {},
      {
        get: (_target, key) => (typeof key === 'string' && key in declared ? resolve(key) : undefined),
        ownKeys: () => names,
        getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true }),
      },
    );
    resolved[name] = substitute(value, { params: lazy }, location);
    resolving.delete(name);
    return resolved[name];
  };
  for (const name of names) resolve(name);
  return resolved;
}

/** The placeholders the chosen values of parameters with `means` give: e.g. { app: { path: "tree" } }. */
export function choiceMeanings(
  template: Template | undefined,
  params: Record<string, ParamValue>,
): Record<string, Record<string, ParamValue>> {
  const meanings: Record<string, Record<string, ParamValue>> = {};
  for (const [name, spec] of Object.entries(template?.declaration.params ?? {}))
    if (spec.means) meanings[name] = spec.means[String(params[name])] ?? {};
  return meanings;
}
