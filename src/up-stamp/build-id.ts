/** Set by scripts/bundle.mjs: a hash of the sources and locked dependencies the bundle was made from. */
declare const __ENVCTL_BUILD__: string | undefined;

/** The build's identity, or undefined when envctl runs unbundled (then it writes and trusts no stamp). */
export function currentBuild(): string | undefined {
  return typeof __ENVCTL_BUILD__ === 'string' ? __ENVCTL_BUILD__ : undefined;
}
