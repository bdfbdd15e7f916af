import { gpuRows } from '../../pipeline/gpus.js';
import { connectEngineOf, engineChoice, engineChoiceAt, type EngineChoice } from '../../pipeline/edges.js';
import { findWorkspaceRoot } from '../../workspace/root.js';
import type { GlobalOptions } from '../context.js';
import { printJson, table } from '../output.js';

/** envctl gpus: every GPU and MIG instance of the machine, and the projects (of any workspace) holding it. */
export async function gpusAction(globals: GlobalOptions, options: { json?: boolean }): Promise<void> {
  const choice = machineEngine(globals);
  if (choice.target.swarm) {
    const { swarmGpusAction } = await import('./swarm.js');
    return swarmGpusAction(await connectEngineOf(choice), options.json);
  }
  const { rows, none } = await gpuRows(choice);
  if (options.json) return printJson(rows);
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

/** The engine of the workspace envctl runs in, if it runs in one; else the one --engine or Docker names. */
function machineEngine(globals: GlobalOptions): EngineChoice {
  let root: string | undefined;
  try {
    root = findWorkspaceRoot(process.cwd(), globals.workspace);
  } catch {
    root = undefined;
  }
  return root ? engineChoiceAt(root, globals.engine) : engineChoice(undefined, globals.engine);
}
