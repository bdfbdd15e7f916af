import { connectEngineOf, engineChoiceAt, storeOf } from '../../pipeline/edges.js';
import { recordedForwards } from '../../pipeline/remote-session.js';
import { workspaceRows, type PsRow } from '../../pipeline/ps.js';
import { findWorkspaceRoot } from '../../workspace/root.js';
import type { GlobalOptions } from '../context.js';
import { printJson, table } from '../output.js';

/** envctl ps: what the engine runs for this workspace, read from its labels. */
export async function psAction(globals: GlobalOptions, options: { json?: boolean }): Promise<void> {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const choice = engineChoiceAt(root, globals.engine);
  const { secrets } = storeOf(root, choice).read().state;
  if (choice.target.swarm) {
    const { swarmPsAction } = await import('./swarm.js');
    return swarmPsAction(await connectEngineOf(choice), root, secrets, options.json);
  }
  const server = choice.ssh ? { hostName: choice.ssh.hostName, forwards: recordedForwards(root, choice) } : undefined;
  const rows = await workspaceRows(await connectEngineOf(choice), root, secrets, server);
  if (options.json) return printJson(rows);
  if (rows.length === 0)
    return void process.stdout.write('Nothing of the workspace is running: envctl up starts it.\n');
  const cells = rows.map((row) => [
    row.project,
    row.service,
    stateText(row),
    row.health ?? '-',
    (server ? row.forwards.map(forwardText) : row.urls).join(' ') || '-',
    row.gpus ?? '-',
    row.networks.map((n) => n.subnet ?? n.name).join(' '),
  ]);
  process.stdout.write(`${table(['PROJECT', 'SERVICE', 'STATE', 'HEALTH', 'URLS', 'GPUS', 'SUBNETS'], cells)}\n`);
  if (choice.ssh) {
    const remote = await choice.ssh.findEngine();
    process.stdout.write(`On ${choice.ssh.hostName}: the engine at ${remote.endpoint} (found by ${remote.foundBy}).\n`);
  }
}

/** As docker ps says it: "restarting (code 1), 4 restarts", "exited (code 0)". */
export function stateText(row: Pick<PsRow, 'state' | 'exitCode' | 'restarts'>): string {
  const exit = row.exitCode === null ? '' : ` (code ${row.exitCode})`;
  const restarts = row.restarts ? `, ${row.restarts} restart${row.restarts === 1 ? '' : 's'}` : '';
  return `${row.state}${exit}${restarts}`;
}

/** "http://127.0.0.1:8890/lab?token=... => gpu1:8888", or the server's end alone while no forward is open. */
function forwardText(forward: PsRow['forwards'][number]): string {
  if (!forward.here) return `${forward.server} (not forwarded)`;
  return forward.open
    ? `${forward.url ?? `http://${forward.here}/`} => ${forward.server}`
    : `${forward.here} => ${forward.server} (closed: envctl tunnel)`;
}
