import type { ProjectSummary } from '../pipeline/summary.js';
import { table } from './output.js';
import type { Colors } from './terminal.js';

/** One row per published port: project, service, host port, URL, GPUs, subnet. */
export function summaryTable(summary: readonly ProjectSummary[], colors?: Colors): string {
  const rows = summary.flatMap((project) => {
    const ports = project.ports.length ? project.ports : [null];
    return ports.map((port, index) => [
      index === 0 ? project.project : '',
      port?.service ?? project.services.join(', '),
      port ? `${port.hostIp}:${port.hostPort}->${port.containerPort}/${port.protocol}` : '-',
      port?.url ?? '-',
      index === 0 ? project.gpus : '',
      index === 0 ? project.network.subnet : '',
    ]);
  });
  return table(['PROJECT', 'SERVICE', 'HOST PORT', 'URL', 'GPUS', 'SUBNET'], rows, colors);
}
