import type { GpuReport } from '../../pipeline/deployment.js';
import { deploymentOf } from '../../pipeline/deployments.js';
import { engineChoiceHere } from '../../pipeline/edges.js';
import type { SwarmGpuRow } from '../../pipeline/swarm-rows.js';
import type { GlobalOptions } from '../context.js';
import { printJson, table } from '../output.js';

/** envctl gpus: every GPU and MIG instance of the machine (or the swarm's nodes), and the projects holding it. */
export async function gpusAction(globals: GlobalOptions, options: { json?: boolean }): Promise<void> {
  const report = await (await deploymentOf(engineChoiceHere(globals.workspace, globals.engine, true))).gpus();
  if (options.json) return printJson(report.rows);
  switch (report.kind) {
    case 'machine':
      return printMachine(report);
    case 'nodes':
      return printNodes(report.rows);
    default:
      report satisfies never;
  }
}

function printMachine({ rows, none }: Extract<GpuReport, { kind: 'machine' }>): void {
  if (none) return void process.stdout.write(`No GPU to list: ${none.reason}.\n  ${none.fix}\n`);
  const cells = rows.map((row) => [
    row.id,
    row.mig ? `${row.name} MIG ${row.mig}` : row.name,
    row.memoryTotalMiB === null ? '-' : `${row.memoryUsedMiB ?? '?'} / ${row.memoryTotalMiB} MiB`,
    row.utilizationPercent === null ? '-' : `${row.utilizationPercent}%`,
    row.heldBy.map((holder) => `${holder.project}${holder.sharing === 'shared' ? ' (shared)' : ''}`).join(', ') ||
      'free',
  ]);
  process.stdout.write(`${table(['GPU', 'NAME', 'MEMORY', 'USE', 'HELD BY'], cells)}\n`);
}

function printNodes(rows: SwarmGpuRow[]): void {
  const cells = rows.map((row) => [row.node, row.gpu, row.heldBy ?? 'free']);
  process.stdout.write(`${table(['NODE', 'GPU', 'HELD BY'], cells)}\n`);
}
