import { Command } from 'commander';
import { registerEngineCommands } from './commands/engine-commands.js';
import { registerPorts } from './commands/ports.js';
import { registerRender } from './commands/render.js';
import { registerWorkspaceCommands } from './commands/workspace-commands.js';
import { commandAfterTarget } from './command-args.js';
import { formatError } from './report-error.js';
import type { GlobalOptions } from './context.js';

export function buildProgram(version: string): Command {
  const program = new Command('envctl')
    .description('Run many containerised ML/DL environments side by side: which-project says what runs.')
    .version(version)
    .option('-w, --workspace <dir>', 'the workspace root (default: the nearest folder upward holding which-project)')
    .option(
      '--engine <address>',
      'the Docker Engine for this command: unix://, ssh://user@host, tcp://host:2376 or a Docker context (default: workspace.yml engine:, then DOCKER_HOST, DOCKER_CONTEXT)',
    )
    .showHelpAfterError();
  const globals = () => program.opts<GlobalOptions>();
  registerWorkspaceCommands(program, globals);
  registerRender(program, globals);
  registerPorts(program, globals);
  registerEngineCommands(program, globals);
  return program;
}

export async function run(version: string): Promise<void> {
  try {
    const [node = 'node', script = 'envctl', ...args] = process.argv;
    await buildProgram(version).parseAsync([node, script, ...commandAfterTarget(args)]);
  } catch (error) {
    const { text, exitCode } = formatError(error);
    process.stderr.write(text);
    process.exitCode = exitCode;
  }
}
