import { allocatedPorts, releaseProjectPorts } from '../../pipeline/ports.js';
import { findWorkspaceRoot } from '../../workspace/root.js';
import { engineChoiceAt, storeOf } from '../../pipeline/edges.js';
import type { GlobalOptions } from '../context.js';
import { printJson, table } from '../output.js';
import { warn } from '../terminal.js';

/** envctl ports: the allocations kept for the workspace's engine, listed project or not. */
export function listPorts(globals: GlobalOptions, options: { json?: boolean }): void {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const { rows, warning } = allocatedPorts(root, storeOf(root, engineChoiceAt(root, globals.engine)));
  if (warning) warn(warning);
  if (options.json) return printJson(rows);
  if (rows.length === 0) return void process.stdout.write('No ports allocated yet: run "envctl render".\n');
  const cells = rows.map((row) => [
    String(row.hostPort),
    row.project,
    row.service,
    `${row.containerPort}/${row.protocol}`,
    row.listed ? 'yes' : 'no',
    row.note ?? '',
  ]);
  const header = ['HOST PORT', 'PROJECT', 'SERVICE', 'CONTAINER PORT', 'LISTED', 'NOTE'];
  process.stdout.write(`${table(header, cells)}\n`);
}

/** envctl ports release: forget a project's ports, under the same lock as allocation. */
export async function releasePorts(globals: GlobalOptions, project: string): Promise<void> {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const released = await releaseProjectPorts(root, storeOf(root, engineChoiceAt(root, globals.engine)), project);
  process.stdout.write(`Released ${released} port${released === 1 ? '' : 's'} of ${project}.\n`);
}
