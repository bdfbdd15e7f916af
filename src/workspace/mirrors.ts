import { z } from 'zod';
import { PIP_ENV } from '../util/mirror-env.js';

/**
 * Package mirrors for the builds of templates that take them (`mirrors:` in template.yml; every built-in
 * one): pip's index and trusted hosts, conda's channels. They reach a build as build arguments with the names
 * pip and conda read from their environment (PIP_INDEX_URL, CONDA_CHANNELS...), so they apply while the
 * build's RUN lines install and are never kept in the image's own environment; being build arguments, they
 * are part of the build hash.
 */
export interface PackageMirrors {
  pip: PipMirror;
  conda: CondaMirror;
  /** Where the pip settings came from: workspace.yml wins over the user's environment (what pip itself reads). */
  pipSource: 'workspace.yml' | 'environment' | undefined;
}

export interface PipMirror {
  indexUrl?: string;
  extraIndexUrls: string[];
  trustedHosts: string[];
}

export interface CondaMirror {
  channels: string[];
}

export type MirrorKind = 'pip' | 'conda';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// address' });
const oneOrMore = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]);
const host = z
  .string()
  .regex(
    /^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9a-fA-F:]+\](:\d+)?$/,
    'must be a host name or address, with an optional :port',
  );

export const pipSettingsSchema = z
  .object({
    index_url: httpUrl.optional(),
    extra_index_url: oneOrMore(httpUrl).optional(),
    trusted_host: oneOrMore(host).optional(),
  })
  .strict();

export const condaSettingsSchema = z
  .object({
    channels: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

type PipSettings = z.infer<typeof pipSettingsSchema>;
type CondaSettings = z.infer<typeof condaSettingsSchema>;

const list = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

export function packageMirrors(
  pip: PipSettings | undefined,
  conda: CondaSettings | undefined,
  env: NodeJS.ProcessEnv,
): PackageMirrors {
  const fromEnv = (name: string) => (env[name] ?? '').split(/\s+/).filter(Boolean);
  const pipMirror: PipMirror = pip
    ? { indexUrl: pip.index_url, extraIndexUrls: list(pip.extra_index_url), trustedHosts: list(pip.trusted_host) }
    : {
        indexUrl: fromEnv(PIP_ENV.indexUrl)[0],
        extraIndexUrls: fromEnv(PIP_ENV.extraIndexUrls),
        trustedHosts: fromEnv(PIP_ENV.trustedHosts),
      };
  const anyPip = pipMirror.indexUrl || pipMirror.extraIndexUrls.length || pipMirror.trustedHosts.length;
  return {
    pip: pipMirror,
    conda: { channels: conda?.channels ?? [] },
    pipSource: pip ? 'workspace.yml' : anyPip ? 'environment' : undefined,
  };
}

/** The build arguments a template that takes these kinds of mirror gets; none for a setting left unset. */
export function mirrorBuildArgs(mirrors: PackageMirrors, kinds: readonly MirrorKind[]): Record<string, string> {
  const args: Record<string, string> = {};
  if (kinds.includes('pip')) {
    const { indexUrl, extraIndexUrls, trustedHosts } = mirrors.pip;
    if (indexUrl) args.PIP_INDEX_URL = indexUrl;
    if (extraIndexUrls.length) args.PIP_EXTRA_INDEX_URL = extraIndexUrls.join(' ');
    if (trustedHosts.length) args.PIP_TRUSTED_HOST = trustedHosts.join(' ');
  }
  // conda reads its `channels` setting from CONDA_CHANNELS, a comma-separated list.
  if (kinds.includes('conda') && mirrors.conda.channels.length) args.CONDA_CHANNELS = mirrors.conda.channels.join(',');
  return args;
}

/** What doctor shows: one line per setting in use. */
export function describeMirrors(mirrors: PackageMirrors): string[] {
  const { pip, conda } = mirrors;
  return [
    ...(pip.indexUrl ? [`pip index ${pip.indexUrl}`] : []),
    ...pip.extraIndexUrls.map((url) => `pip extra index ${url}`),
    ...(pip.trustedHosts.length ? [`pip trusted host ${pip.trustedHosts.join(', ')}`] : []),
    ...(conda.channels.length ? [`conda channels ${conda.channels.join(', ')}`] : []),
  ];
}
