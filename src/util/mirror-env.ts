/** pip's own environment variables for a mirror (space-separated lists, as pip reads them). */
export const PIP_ENV = {
  indexUrl: 'PIP_INDEX_URL',
  extraIndexUrls: 'PIP_EXTRA_INDEX_URL',
  trustedHosts: 'PIP_TRUSTED_HOST',
} as const;

/**
 * The values of those variables, one line each: builds take them where workspace.yml names no pip mirror,
 * so the up stamp notes them. Kept apart from workspace/mirrors.ts so the no-op up loads no schema library.
 */
export function mirrorEnvironment(env: NodeJS.ProcessEnv = process.env): string {
  return Object.values(PIP_ENV)
    .map((name) => `${name}=${env[name] ?? ''}`)
    .join('\n');
}
