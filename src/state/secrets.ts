import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeAtomically, type WriteFile } from '../util/file-batch.js';

/** compose/secrets/<project>.env: where a project's generated secrets reach its containers. */
export function secretsEnvFile(composeDir: string, project: string): string {
  return join(composeDir, 'secrets', `${project}.env`);
}

export function newSecret(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The project's secrets by name: kept ones stay, missing ones are read back from the env file (if the
 * state was lost) or generated. Never empty.
 */
export function ensureSecrets(
  names: ReadonlyArray<{ name: string; env: string }>,
  kept: Record<string, string> | undefined,
  envFile: string,
): Record<string, string> {
  const onDisk = existsSync(envFile) ? parseEnvFile(readFileSync(envFile, 'utf8')) : {};
  return Object.fromEntries(names.map(({ name, env }) => [name, kept?.[name] || onDisk[env] || newSecret()]));
}

export function writeEnvFile(
  file: string,
  values: Record<string, string>,
  writeFile: WriteFile = writeAtomically,
): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const body = Object.entries(values)
    .map(([key, value]) => `${key}=${value}\n`)
    .join('');
  if (existsSync(file) && readFileSync(file, 'utf8') === body) return;
  writeFile(file, body, 0o600);
}

/** KEY=VALUE lines, as Compose reads an env file; other lines (comments, blanks) are skipped. */
export function parseEnvFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1]!, match[2]!]),
  );
}
