// Compiles schema/compose-spec.json into a standalone validator module at build time, so envctl does
// not spend ~300 ms compiling the Compose Specification's schema on every run.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { ajvOptions, prepareSchema } from '../dist/compose/schema-options.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ajv = new Ajv({ ...ajvOptions, code: { source: true } });
const validate = ajv.compile(
  prepareSchema(JSON.parse(readFileSync(join(root, 'schema', 'compose-spec.json'), 'utf8'))),
);
writeFileSync(join(root, 'dist', 'compose', 'compose-spec-validator.cjs'), standaloneCode.default(ajv, validate));
