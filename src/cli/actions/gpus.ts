import { gpuRows } from '../../pipeline/gpus.js';
import type { GlobalOptions } from '../context.js';
import { printJson, table } from '../output.js';

/** envctl gpus: every GPU and MIG instance of the machine, and the projects (of any workspace) holding it. */
export async function gpusAction(_globals: GlobalOptions, options: { json?: boolean }): Promise<void> {
  const rows = await gpuRows();
  if (options.json) return printJson(rows);
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
