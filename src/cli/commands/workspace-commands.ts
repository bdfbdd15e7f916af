import { Argument, type Command } from 'commander';
import type { GlobalOptions } from '../context.js';

/** init, new, templates, doctor, prune, completion: setting a workspace up and checking it. */
export function registerWorkspaceCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('init')
    .description('make a new workspace: which-project, projects/, templates/ and a .gitignore for compose/')
    .argument('[dir]', 'where (default: the current folder)', '.')
    .action(async (dir: string) => (await import('../actions/init.js')).initAction(dir));

  program
    .command('new')
    .description('make a project: projects/<project>/envctl.yml and the dependency file its template reads')
    .argument('<project>', 'the project name: lowercase letters, digits, "-" and "_"')
    .option('-t, --template <name>', 'the template to use', 'jupyter')
    .option(
      '-p, --param <name=value>',
      'a template parameter (repeatable)',
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .option('--gpus <request>', 'none | all | a count | a list of GPU indexes or UUIDs, e.g. 0,1')
    .option('--enable', 'also add the project to which-project')
    .action(async (project: string, options: { template: string; param: string[]; gpus?: string; enable?: boolean }) =>
      (await import('../actions/new.js')).newAction(globals(), project, options),
    );

  const templates = program
    .command('templates')
    .description("the templates a project can use (built-in, and the workspace's own, which win)")
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) =>
      (await import('../actions/templates.js')).listTemplatesAction(globals(), options),
    );
  templates
    .command('show')
    .description('one template in full: parameters, ports, secrets, GPUs, files')
    .argument('<name>', 'the template')
    .option('--json', 'print as JSON')
    .action(async (name: string, options: { json?: boolean }) =>
      (await import('../actions/templates.js')).showTemplateAction(globals(), name, options),
    );

  program
    .command('doctor')
    .description('check what envctl needs, each line a check with its fix; exits non-zero when up could not work')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) =>
      (await import('../actions/doctor.js')).doctorAction(globals(), options),
    );

  program
    .command('prune')
    .description(
      "free disk: the build cache (pip's and conda's downloads too) and the images of projects no which-project lists",
    )
    .option('-y, --yes', 'remove without asking (for scripts; piped, prune asks nothing and needs it)')
    .option('--json', 'print what was removed and the bytes freed as JSON')
    .action(async (options: { yes?: boolean; json?: boolean }) =>
      (await import('../actions/prune.js')).pruneAction(globals(), options),
    );

  program
    .command('completion')
    .description('print the shell completion script: eval "$(envctl completion bash)" in ~/.bashrc, or zsh in ~/.zshrc')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh']))
    .action(async (shell: 'bash' | 'zsh') =>
      (await import('../actions/completion.js')).completionAction(program, shell),
    );

  program
    .command('__complete', { hidden: true })
    .argument('<kind>')
    .action(async (kind: string) => (await import('../actions/completion.js')).completeWords(globals(), kind));
}
