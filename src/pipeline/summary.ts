import { namespaced } from '../merge/namespace.js';
import { describeGpus } from '../allocation/gpu/request.js';
import { substitute } from '../templates/expressions.js';
import type { Workspace } from '../workspace/load.js';
import { networkKey } from '../allocation/network/network-requests.js';
import type { RenderOutcome } from '../merge/render-outcome.js';

export interface PortSummary {
  name: string;
  service: string;
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: string;
  url: string | null;
}

export interface ProjectSummary {
  project: string;
  template: string | null;
  services: string[];
  ports: PortSummary[];
  gpus: string;
  network: { name: string; subnet: string; gateway: string };
}

/** What render reports: per project its services, ports with their URLs, GPUs and network. */
export function summarize(workspace: Workspace, outcome: RenderOutcome): ProjectSummary[] {
  const networks = new Map(outcome.networks.map((grant) => [grant.key, grant]));
  return workspace.projects.map((project) => {
    const fragment = outcome.perProject.get(project.name)!;
    const network = networks.get(networkKey(project.name)) ?? networks.get(networkKey())!;
    const ports = outcome.ports
      .filter((grant) => grant.project === project.name)
      .map((grant): PortSummary => {
        const scope = {
          ports: { [grant.name]: grant.host },
          params: project.params,
          project: { name: project.name, dir: project.dir },
          secrets: outcome.secrets.get(project.name) ?? {},
          host: { address: displayAddress(grant.bind) },
        };
        const location = project.template?.source.locate(['ports', grant.name, 'url']) ?? { file: project.name };
        return {
          name: grant.name,
          service: namespaced(project.name, grant.service),
          hostIp: grant.bind,
          hostPort: grant.host,
          containerPort: grant.container,
          protocol: grant.protocol,
          url: grant.url ? String(substitute(grant.url, scope, location)) : null,
        };
      });
    return {
      project: project.name,
      template: project.template?.name ?? null,
      services: Object.keys(fragment.services ?? {}),
      ports,
      gpus: describeGpus(outcome.gpus.get(project.name) ?? { kind: 'none' }),
      network: { name: network.name, subnet: network.subnet, gateway: network.gateway },
    };
  });
}

/** Where a user's browser reaches a port published on `bind`. */
export function displayAddress(bind: string): string {
  if (bind === '0.0.0.0' || bind === '::') return 'localhost';
  return bind.includes(':') ? `[${bind}]` : bind;
}
