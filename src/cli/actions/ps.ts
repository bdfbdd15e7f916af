import { connectEngineOf, engineChoiceAt } from '../../pipeline/edges.js';
import { recordedForwards } from '../../pipeline/remote-session.js';
import { workspaceRows, type PsRow } from '../../pipeline/ps.js';
import { findWorkspaceRoot } from '../../workspace/root.js';
import type { GlobalOptions } from '../context.js';
import { printJson, table } from '../output.js';

/** envctl ps: what the engine runs for this workspace, read from its labels. */
export async function psAction(globals: GlobalOptions, options: { json?: boolean }): Promise<void> {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const choice = engineChoiceAt(root, globals.engine);
  if (choice.target.swarm) {
    const { swarmPsAction } = await import('./swarm.js');
    return swarmPsAction(await connectEngineOf(choice), root, options.json);
  }
  const server = choice.ssh ? { hostName: choice.ssh.hostName, forwards: recordedForwards(root, choice) } : undefined;
  const rows = await workspaceRows(await connectEngineOf(choice), root, server);
  if (options.json) return printJson(rows);
  if (rows.length === 0)
    return void process.stdout.write('Nothing of the workspace is running: envctl up starts it.\n');
  const cells = rows.map((row) => [
    row.project,
    row.service,
    row.state,
    row.health ?? '-',
    (server ? row.forwards.map(forwardText) : row.urls).join(' ') || '-',
    row.gpus ?? '-',
    row.networks.map((n) => n.subnet ?? n.name).join(' '),
  ]);
  process.stdout.write(`${table(['PROJECT', 'SERVICE', 'STATE', 'HEALTH', 'URLS', 'GPUS', 'SUBNETS'], cells)}\n`);
}

/** "http://127.0.0.1:8890/ => gpu1:8888", or the server's end alone while no forward is open. */
function forwardText(forward: PsRow['forwards'][number]): string {
  if (!forward.here) return `${forward.server} (not forwarded)`;
  return forward.open
    ? `http://${forward.here}/ => ${forward.server}`
    : `${forward.here} => ${forward.server} (closed: envctl tunnel)`;
}
