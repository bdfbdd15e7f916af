/** Shared by the run-time compile and the build-time standalone compile of the Compose schema. */
export const ajvOptions = { allErrors: false, strict: false, validateFormats: true, validateSchema: false } as const;

/** The spec names draft-07 by an https URL ajv does not know; the schema itself is plain draft-07. */
export function prepareSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _draft, ...rest } = schema;
  return rest;
}
