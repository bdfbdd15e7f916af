import { Option, type Command } from 'commander';
import type { UpCommandOptions } from '../actions/up.js';
import type { GlobalOptions } from '../context.js';

/** up, down, ps, logs, shell, exec, export, import, restart: the commands that talk to the engine, loaded on use. */
export function registerEngineCommands(program: Command, globals: () => GlobalOptions): void {
  registerRunCommands(program, globals);
  registerRemoteCommands(program, globals);
  registerInsideCommands(program, globals);
  registerProjectCommands(program, globals);
}

/** up, down, ps, logs: the workspace as a whole. */
function registerRunCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('up')
    .description('render, then create, recreate or remove containers until the engine runs what which-project lists')
    .argument('[project...]', 'only these projects (default: every project in which-project)')
    .option('-d, --detach', 'start in the background and return')
    .option('--watch', 'keep watching which-project, the projects and templates, and apply every edit')
    .option('--build', 'build images even when they exist')
    .option('--no-cache', 'build every image again from scratch: no build cache, package caches emptied')
    .option('--cpu-only', 'run projects that ask for GPUs without them')
    .option('--dry-run', 'print what would be done, do nothing')
    .addHelpText(
      'after',
      '\nIn the foreground, logs stream as "project/service | line"; Ctrl+C stops the projects, a second Ctrl+C kills them.\nWith -d --watch the ' +
        'projects run detached and Ctrl+C ends only the watcher.',
    )
    .action(async (projects: string[], options: UpCommandOptions) =>
      (await import('../actions/up.js')).upAction(globals(), projects, options),
    );

  program
    .command('down')
    .description("stop and remove the workspace's containers and networks (project folders are never touched)")
    .argument('[project...]', 'only these projects')
    .option('-v, --volumes', 'also remove named volumes')
    .action(async (projects: string[], options: { volumes?: boolean }) =>
      (await import('../actions/down.js')).downAction(globals(), projects, options),
    );

  program
    .command('ps')
    .description("list the workspace's containers: project, service, state, health, URLs, GPUs, network")
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) => (await import('../actions/ps.js')).psAction(globals(), options));

  program
    .command('logs')
    .description('print the output of the workspace\'s containers, prefixed "project/service |"')
    .argument('[target...]', 'project or project/service (default: all)')
    .option('-f, --follow', 'keep following new output')
    .addOption(new Option('-n, --tail <lines>', 'only the last lines of each container').argParser(Number))
    .action(async (targets: string[], options: { follow?: boolean; tail?: number }) =>
      (await import('../actions/logs.js')).logsAction(globals(), targets, options),
    );
}

/** sync and tunnel: the server a workspace runs on, reached over SSH. */
function registerRemoteCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('sync')
    .description(
      "sync the listed projects' folders (and dotfiles) both ways with the server the workspace runs on (ssh:// engines)",
    )
    .argument('[project...]', 'only these projects')
    .action(async (projects: string[]) => (await import('../actions/remote.js')).syncAction(globals(), projects));

  program
    .command('tunnel')
    .description(
      "forward the ports a server publishes for the workspace to this machine's 127.0.0.1, until Ctrl+C (ssh:// engines)",
    )
    .option('--json', 'print the forwards as JSON once they are open')
    .action(async (options: { json?: boolean }) =>
      (await import('../actions/remote.js')).tunnelAction(globals(), options),
    );
}

/** gpus, shell, exec: the machine's GPUs and what runs in a project. */
function registerInsideCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('gpus')
    .description("the machine's GPUs and MIG instances: memory, use, and which projects hold them")
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) => (await import('../actions/gpus.js')).gpusAction(globals(), options));

  program
    .command('shell')
    .description('an interactive shell (or the command) in a running project, on a real terminal')
    .argument('<target>', 'project or project/service')
    .argument('[command...]', 'run this instead of a shell: everything after the target, its options too')
    .addHelpText('after', '\nExamples:\n  envctl shell intro-ml\n  envctl shell intro-ml python -V')
    .action(async (target: string, command: string[]) =>
      (await import('../actions/exec.js')).shellAction(globals(), target, command),
    );

  program
    .command('exec')
    .description('run a command in a running project, for scripts: its output and exit status passed through')
    .argument('<target>', 'project or project/service')
    .argument('<command...>', 'the command: everything after the target, its options too')
    .option('-i, --interactive', 'pass standard input to the command')
    .addHelpText(
      'after',
      "\nenvctl's own options (-i) go before the target.\nExamples:\n  envctl exec intro-ml pip list\n  envctl exec -i intro-ml/notebook python3 - < script.py",
    )
    .action(async (target: string, command: string[], options: { interactive?: boolean }) =>
      (await import('../actions/exec.js')).execAction(globals(), target, command, options),
    );
}

/** export, import, restart: one project at a time. */
function registerProjectCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('export')
    .description('write a project to one file: its images, envctl.yml, compose.yml, build inputs and own template')
    .argument('<project>', 'the project (it must have run on this engine)')
    .option('-o, --output <file>', 'where (default: <project>.envctl.tar)')
    .option('--with-data', "also every file of the project's folder")
    .action(async (project: string, options: { output?: string; withData?: boolean }) =>
      (await import('../actions/share.js')).exportAction(globals(), project, options, program.version() ?? ''),
    );

  program
    .command('import')
    .description('restore a project from an export file into this workspace; up then runs it without building')
    .argument('<file>', 'the file envctl export wrote')
    .option('--as <name>', 'the project name here (default: the exported one)')
    .option('--enable', 'also add the project to which-project')
    .action(async (file: string, options: { as?: string; enable?: boolean }) =>
      (await import('../actions/share.js')).importAction(globals(), file, options),
    );

  program
    .command('restart')
    .description("restart the containers of the workspace's projects")
    .argument('[project...]', 'only these projects')
    .action(async (projects: string[]) => (await import('../actions/restart.js')).restartAction(globals(), projects));
}
