import type { Command } from 'commander';
import { BUILTIN_TEMPLATES } from '../../templates/builtin.js';
import { templateNames } from '../../templates/template.js';
import { projectFolders } from '../../workspace/load.js';
import { findWorkspaceRoot } from '../../workspace/root.js';
import { join } from 'node:path';
import type { GlobalOptions } from '../context.js';

/** Commands whose arguments are project names. */
const PROJECT_COMMANDS = ['up', 'down', 'restart', 'logs', 'shell', 'exec', 'release'];

export function completionAction(program: Command, shell: 'bash' | 'zsh'): void {
  const commands = program.commands
    .filter((command) => !command.name().startsWith('_'))
    .map((command) => command.name());
  const bash = `# envctl completion for bash: eval "$(envctl completion bash)"
_envctl() {
  local cur prev words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${commands.join(' ')}" -- "$cur") ); return
  fi
  case "$prev" in
    --template|-t|show) COMPREPLY=( $(compgen -W "$(envctl __complete templates 2>/dev/null)" -- "$cur") ); return ;;
  esac
  case "\${COMP_WORDS[1]}" in
    ${PROJECT_COMMANDS.join('|')}|ports) COMPREPLY=( $(compgen -W "$(envctl __complete projects 2>/dev/null)" -- "$cur") ) ;;
  esac
}
complete -F _envctl envctl
`;
  const zsh = `#compdef envctl
# envctl completion for zsh: eval "$(envctl completion zsh)"
autoload -U bashcompinit && bashcompinit
${bash}`;
  process.stdout.write(shell === 'bash' ? bash : zsh);
}

/** The words completion offers: project folders of the workspace, or template names. */
export function completeWords(globals: GlobalOptions, kind: string): void {
  let root: string | undefined;
  try {
    root = findWorkspaceRoot(process.cwd(), globals.workspace);
  } catch {
    root = undefined;
  }
  const words =
    kind === 'templates'
      ? templateNames([...(root ? [join(root, 'templates')] : []), BUILTIN_TEMPLATES])
      : root
        ? projectFolders(root)
        : [];
  process.stdout.write(`${words.join('\n')}\n`);
}
