import type { z } from 'zod';
import { InputError } from '../errors/envctl-error.js';
import type { YamlSource } from './yaml-source.js';

/**
 * Checks a parsed YAML file against a zod schema. The first problem becomes an InputError
 * naming the file, the line and the key path, with `hintFor` adding what to do about it.
 */
export function validateYaml<T extends z.ZodType>(
  source: YamlSource,
  schema: T,
  hintFor: (issue: z.core.$ZodIssue, keyPath: string) => string,
): z.infer<T> {
  const result = schema.safeParse(source.toJS() ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.filter((step): step is string | number => typeof step !== 'symbol');
  let keyPath = path.join('.');
  let location = source.locate(path);
  let message: string;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    keyPath = [...path, key].join('.');
    location = source.locate([...path, key], { key: true });
    message = `unknown key "${keyPath}"`;
  } else if (issue.code === 'invalid_key') {
    location = source.locate(path, { key: true });
    message = `"${keyPath}" is not allowed: the name ${issue.issues[0]?.message ?? 'is not valid'}`;
  } else {
    message = `${keyPath ? `"${keyPath}": ` : ''}${issue.message}`;
  }
  const where = `${location.file}${location.line ? `:${location.line}` : ''}`;
  throw new InputError(`${where}: ${message}.`, { location, hint: hintFor(issue, keyPath) });
}
