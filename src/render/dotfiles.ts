import type { ServiceSpec } from '../compose/compose-types.js';
import { scalarText } from '../compose/scalar.js';

/** Where a service sees the user's dotfiles folder: read-only, linked into its home at start. */
export const DOTFILES_MOUNT = '/etc/envctl/dotfiles';

/** The install scripts looked for, in order, as the devcontainers CLI does; the first found runs. */
export const DOTFILES_INSTALL_SCRIPTS = ['install.sh', 'install', 'bootstrap.sh', 'bootstrap', 'setup.sh', 'setup'];

/**
 * Runs before the service's own command: every dotfile of the folder (a name starting with ".", not .git) is
 * linked into $HOME unless the home has one of that name, then the folder's install script runs once per
 * container (a marker in $HOME), its output in ~/.envctl-dotfiles.log; a failing script is said, not fatal.
 */
const SETUP = [
  `d=${DOTFILES_MOUNT}`,
  'for f in "$d"/.[!.]*; do n=${f##*/}; [ -e "$f" ] && [ "$n" != .git ] && [ ! -e "$HOME/$n" ] && ln -s "$f" "$HOME/$n"; done',
  'if [ ! -e "$HOME/.envctl-dotfiles-installed" ]; then',
  `  for s in ${DOTFILES_INSTALL_SCRIPTS.join(' ')}; do`,
  '    if [ -f "$d/$s" ]; then',
  '      (cd "$d" && sh "./$s") >"$HOME/.envctl-dotfiles.log" 2>&1 ||',
  '        echo "envctl: the dotfiles script $s failed; see ~/.envctl-dotfiles.log" >&2',
  '      break',
  '    fi',
  '  done',
  '  touch "$HOME/.envctl-dotfiles-installed"',
  'fi',
  'exec "$@"',
].join('\n');

/**
 * The dotfiles folder mounted into a service, and its command run after SETUP. A service without a command
 * of its own (the image's) cannot be wrapped: it is returned as a refusal to report, never silently skipped.
 */
export function withDotfiles(service: ServiceSpec, name: string, folder: string): string | undefined {
  const command = service.command;
  if (command === undefined || command === null)
    return `service "${name}" has no command of its own to run the dotfiles' setup before; dotfiles are not applied to it`;
  const argv = Array.isArray(command) ? command.map(scalarText) : ['sh', '-c', command];
  service.command = ['sh', '-c', SETUP, 'envctl-dotfiles', ...argv];
  service.volumes = [...(service.volumes ?? []), `${folder}:${DOTFILES_MOUNT}:ro`];
  return undefined;
}
