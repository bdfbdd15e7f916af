import { workspaceDeployment } from '../../pipeline/deployments.js';
import type { PsReport } from '../../pipeline/deployment.js';
import type { PsRow } from '../../pipeline/ps.js';
import type { SwarmRow } from '../../pipeline/swarm-rows.js';
import type { SlurmRow } from '../../pipeline/slurm-rows.js';
import { findWorkspaceRoot } from '../../workspace/root.js';
import type { GlobalOptions } from '../context.js';
import { printJson, table } from '../output.js';

/** envctl ps: what runs for this workspace, read from the engine's (or the swarm's) labels. */
export async function psAction(globals: GlobalOptions, options: { json?: boolean }): Promise<void> {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const report = await (await workspaceDeployment(root, globals.engine)).ps(root);
  if (options.json) return printJson(report.rows);
  switch (report.kind) {
    case 'containers':
      return printContainers(report.rows, report.server);
    case 'services':
      return printServices(report.rows);
    case 'jobs':
      return printJobs(report.rows);
    default:
      report satisfies never;
  }
}

function printContainers(rows: PsRow[], server: Extract<PsReport, { kind: 'containers' }>['server']): void {
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
  if (server) process.stdout.write(`On ${server.hostName}: the engine at ${server.engine}.\n`);
}

function printServices(rows: SwarmRow[]): void {
  if (rows.length === 0)
    return void process.stdout.write('Nothing of the workspace runs on the swarm: envctl up -d starts it.\n');
  const cells = rows.map((row) => [
    row.project,
    row.service,
    row.node,
    row.error ? `${row.state} (${row.error})` : row.state,
    row.urls.join(' ') || '-',
    row.gpus.join(',') || '-',
  ]);
  process.stdout.write(`${table(['PROJECT', 'SERVICE', 'NODE', 'STATE', 'URLS', 'GPUS'], cells)}\n`);
}

function printJobs(rows: SlurmRow[]): void {
  if (rows.length === 0)
    return void process.stdout.write('The workspace has no job on the cluster: envctl up -d submits them.\n');
  const cells = rows.map((row) => [
    row.project,
    row.job,
    row.state,
    row.node ?? '-',
    row.urls.join(' ') || '-',
    String(row.gpus || '-'),
  ]);
  process.stdout.write(`${table(['PROJECT', 'JOB', 'STATE', 'NODE', 'URLS', 'GPUS'], cells)}\n`);
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
