import { namespaced } from '../merge/namespace.js';
import { describeGpus } from '../allocation/gpu/request.js';
import { portUrl } from '../render/port-url.js';
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
  /** A server's port forwarded here, as "host:port" (hostIp/hostPort are then the laptop's end). */
  server: string | null;
}

/** A server's published ports as the laptop reaches them: key → the forward's laptop port. */
export interface ServerView {
  hostName: string;
  forwards: ReadonlyMap<string, number>;
  /** On a swarm: the address of the node a project's task runs on (on a cluster, its job's node). */
  addressOf?: (project: string) => string | undefined;
  /** On a cluster: the port a job picked on its node for a port (by key), where it is not render's. */
  portOf?: (key: string) => number | undefined;
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
export function summarize(workspace: Workspace, outcome: RenderOutcome, server?: ServerView): ProjectSummary[] {
  const networks = new Map(outcome.networks.map((grant) => [grant.key, grant]));
  return workspace.projects.map((project) => {
    const fragment = outcome.perProject.get(project.name)!;
    const network = networks.get(networkKey(project.name)) ?? networks.get(networkKey())!;
    const ports = outcome.ports
      .filter((grant) => grant.project === project.name)
      .map((grant): PortSummary => {
        const forward = server?.forwards.get(grant.key);
        // Not forwarded (a detached up, a UDP port): the server's own address, and no URL to click here.
        const nodeAddress = server?.addressOf?.(project.name);
        const hostIp = forward !== undefined ? '127.0.0.1' : (nodeAddress ?? (server ? server.hostName : grant.bind));
        const hostPort = forward ?? server?.portOf?.(grant.key) ?? grant.host;
        return {
          name: grant.name,
          service: namespaced(project.name, grant.service),
          hostIp,
          hostPort,
          containerPort: grant.container,
          protocol: grant.protocol,
          url:
            !server || forward !== undefined || nodeAddress !== undefined
              ? portUrl(project, grant, { hostIp, hostPort }, outcome.secrets.get(project.name) ?? {})
              : null,
          server:
            forward !== undefined
              ? `${nodeAddress ?? server!.hostName}:${server!.portOf?.(grant.key) ?? grant.host}`
              : null,
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
