import type { Command } from 'commander';
import type { RenderOptions } from '../actions/render.js';
import type { GlobalOptions } from '../context.js';

export function registerRender(program: Command, globals: () => GlobalOptions): void {
  program
    .command('render')
    .description(
      'render every project in which-project into compose/ (one file per project and the merged docker-compose.yml)',
    )
    .option('--json', 'print the projects, ports, URLs, GPUs and networks as JSON')
    .option('--stdout', 'print the merged compose file instead of the table')
    .option('--check', 'validate against the Compose Specification and write nothing')
    .addHelpText(
      'after',
      '\nExit status: 0 rendered, 2 a problem in your files (named with file and line), 4 no free port or subnet left.',
    )
    .action(async (options: RenderOptions) => (await import('../actions/render.js')).render(globals(), options));
}
