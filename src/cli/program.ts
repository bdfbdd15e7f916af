import { Command } from 'commander';
import { registerEngineCommands } from './commands/engine-commands.js';
import { registerPorts } from './commands/ports.js';
import { registerRender } from './commands/render.js';
import { registerWorkspaceCommands } from './commands/workspace-commands.js';
import { formatError } from './report-error.js';

export function buildProgram(version: string): Command {
  const program = new Command('envctl')
    .description('Run many containerised ML/DL environments side by side: which-project says what runs.')
    .version(version)
    .option('-w, --workspace <dir>', 'the workspace root (default: the nearest folder upward holding which-project)')
    .showHelpAfterError();
  const globals = () => program.opts<{ workspace?: string }>();
  registerWorkspaceCommands(program, globals);
  registerRender(program, globals);
  registerPorts(program, globals);
  registerEngineCommands(program, globals);
  return program;
}

export async function run(version: string): Promise<void> {
  try {
    await buildProgram(version).parseAsync(process.argv);
  } catch (error) {
    const { text, exitCode } = formatError(error);
    process.stderr.write(text);
    process.exitCode = exitCode;
  }
}
