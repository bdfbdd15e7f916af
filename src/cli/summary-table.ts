import type { PortSummary, ProjectSummary } from '../pipeline/summary.js';
import { table } from './output.js';
import type { Colors } from './terminal.js';

/** One row per published port: project, service, host port, URL, GPUs, subnet. */
export function summaryTable(summary: readonly ProjectSummary[], colors?: Colors): string {
  const rows = summary.flatMap((project) => {
    const ports = project.ports.length ? project.ports : [null];
    return ports.map((port, index) => [
      index === 0 ? project.project : '',
      port?.service ?? project.services.join(', '),
      port ? hostPortText(port) : '-',
      port?.url ?? '-',
      index === 0 ? project.gpus : '',
      index === 0 ? project.network.subnet : '',
    ]);
  });
  return table(['PROJECT', 'SERVICE', 'HOST PORT', 'URL', 'GPUS', 'SUBNET'], rows, colors);
}

/** "127.0.0.1:8888->8888/tcp"; on a server, the laptop's forward and the server's port. */
function hostPortText(port: PortSummary): string {
  const published = `${port.containerPort}/${port.protocol}`;
  const laptop = `${port.hostIp}:${port.hostPort}`;
  return port.server ? `${laptop} => ${port.server}->${published}` : `${laptop}->${published}`;
}
