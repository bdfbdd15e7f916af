import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';

export function registerPorts(program: Command, globals: () => GlobalOptions): void {
  const ports = program
    .command('ports')
    .description('list the host ports envctl has allocated (kept between runs so bookmarks keep working)')
    .option('--json', 'print the allocations as JSON')
    .action(async (options: { json?: boolean }) => (await import('../actions/ports.js')).listPorts(globals(), options));

  ports
    .command('release')
    .description("forget a project's host ports, so other projects may take them")
    .argument('<project>', 'the project whose ports to free')
    .action(async (project: string) => (await import('../actions/ports.js')).releasePorts(globals(), project));
}
