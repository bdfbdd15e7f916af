import { connectDocker } from '../../engine/docker-engine.js';
import { workspaceRows } from '../../pipeline/ps.js';
import { findWorkspaceRoot } from '../../workspace/root.js';
import type { GlobalOptions } from '../context.js';
import { printJson, table } from '../output.js';

/** envctl ps: what the engine runs for this workspace, read from its labels. */
export async function psAction(globals: GlobalOptions, options: { json?: boolean }): Promise<void> {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const rows = await workspaceRows(await connectDocker(), root);
  if (options.json) return printJson(rows);
  if (rows.length === 0)
    return void process.stdout.write('Nothing of the workspace is running: envctl up starts it.\n');
  const cells = rows.map((row) => [
    row.project,
    row.service,
    row.state,
    row.health ?? '-',
    row.urls.join(' ') || '-',
    row.gpus ?? '-',
    row.networks.map((n) => n.subnet ?? n.name).join(' '),
  ]);
  process.stdout.write(`${table(['PROJECT', 'SERVICE', 'STATE', 'HEALTH', 'URLS', 'GPUS', 'SUBNETS'], cells)}\n`);
}
