import { LABEL } from '../../model/labels.js';
import { connectDocker } from '../../engine/docker-engine.js';
import { displayAddress } from '../../pipeline/summary.js';
import { findWorkspaceRoot } from '../../workspace/root.js';
import type { GlobalOptions } from '../context.js';
import { printJson, table } from '../output.js';

export interface PsRow {
  project: string;
  service: string;
  container: string;
  state: string;
  health: string | null;
  urls: string[];
  gpus: string | null;
  networks: Array<{ name: string; subnet: string | null }>;
}

/** envctl ps: what the engine runs for this workspace, read from its labels. */
export async function psAction(globals: GlobalOptions, options: { json?: boolean }): Promise<void> {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const engine = await connectDocker();
  const [containers, networks] = await Promise.all([engine.containers(LABEL.root, root), engine.networks()]);
  const subnets = new Map(networks.map((network) => [network.name, network.subnets[0] ?? null]));
  const rows: PsRow[] = await Promise.all(
    containers.map(async (container) => {
      const info = await engine.inspectContainer(container.id);
      const requests = (info.HostConfig?.DeviceRequests ?? []) as Array<{
        Count?: number;
        DeviceIDs?: string[] | null;
      }>;
      return {
        project: container.labels[LABEL.project] ?? '',
        service: container.labels[LABEL.service] ?? '',
        container: container.name,
        state: container.state,
        health: info.State?.Health?.Status ?? null,
        urls: container.ports
          .filter((port) => port.protocol === 'tcp')
          .map((port) => `http://${displayAddress(port.hostIp || '0.0.0.0')}:${port.hostPort}/`),
        gpus: requests.length
          ? requests
              .map((r) => (r.DeviceIDs?.length ? r.DeviceIDs.join(',') : r.Count === -1 ? 'all' : String(r.Count)))
              .join(',')
          : null,
        networks: container.networks.map((name) => ({ name, subnet: subnets.get(name) ?? null })),
      };
    }),
  );
  rows.sort((a, b) => (a.project + a.service < b.project + b.service ? -1 : 1));
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
