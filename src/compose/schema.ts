import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from 'ajv';
import { InputError } from '../errors/envctl-error.js';
import { ajvOptions, prepareSchema } from './schema-options.js';
import type { YamlSource } from '../util/yaml-source.js';

/** schema/compose-spec.json: the Compose Specification's JSON schema, copied with its licence (schema/README.md). */
export const COMPOSE_SCHEMA_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'schema',
  'compose-spec.json',
);

const require = createRequire(import.meta.url);
let compiled: ValidateFunction | undefined;

/**
 * The build compiles the schema ahead of time (scripts/compile-schema.mjs); running from source,
 * or when that module is missing, it is compiled here.
 */
function validator(): ValidateFunction {
  if (compiled) return compiled;
  const standalone = join(dirname(fileURLToPath(import.meta.url)), 'compose-spec-validator.cjs');
  if (existsSync(standalone)) {
    compiled = (require(standalone) as { default: ValidateFunction }).default;
    return compiled;
  }
  // Only when running from source: the build ships the compiled validator, so ajv itself is not loaded.
  const { Ajv } = require('ajv') as { Ajv: typeof AjvClass };
  compiled = new Ajv(ajvOptions).compile(
    prepareSchema(JSON.parse(readFileSync(COMPOSE_SCHEMA_FILE, 'utf8')) as Record<string, unknown>),
  );
  return compiled;
}

export interface SchemaProblem {
  path: Array<string | number>;
  message: string;
}

/** Problems of a compose model against the Compose Specification; empty when it is valid. */
export function composeSchemaProblems(model: unknown): SchemaProblem[] {
  const validate = validator();
  if (validate(model)) return [];
  return (validate.errors ?? []).map(describe);
}

function describe(error: ErrorObject): SchemaProblem {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((step) => step.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((step) => (/^\d+$/.test(step) ? Number(step) : step));
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return { path: [...path, extra], message: `"${extra}" is not a Compose key here` };
  }
  return { path, message: error.message ?? 'is not valid' };
}

/** A project's own compose.yml must be valid Compose before envctl merges it. */
export function checkComposeSource(source: YamlSource, model: unknown): void {
  const problem = composeSchemaProblems(model)[0];
  if (!problem) return;
  const location = source.locate(problem.path, { key: true });
  const keyPath = problem.path.join('.');
  throw new InputError(`${location.file}:${location.line}: ${keyPath ? `"${keyPath}" ` : ''}${problem.message}.`, {
    location,
    hint: 'This file is a plain Compose fragment: see the Compose Specification (https://compose-spec.io) for the keys a service accepts.',
  });
}
