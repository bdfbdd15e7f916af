#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerEngineCommands } from './commands/engine-commands.js';
import { registerPorts } from './commands/ports.js';
import { registerRender } from './commands/render.js';
import { registerWorkspaceCommands } from './commands/workspace-commands.js';
import { formatError } from './report-error.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
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

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  const { text, exitCode } = formatError(error);
  process.stderr.write(text);
  process.exitCode = exitCode;
}
