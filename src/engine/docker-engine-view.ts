import Docker from 'dockerode';
import type { EngineNetwork, EngineView, PublishedPort } from './engine-view.js';

/** Reads the engine through dockerode (DOCKER_HOST or the local socket), with a short timeout. */
export class DockerEngineView implements EngineView {
  constructor(private readonly docker: Docker = new Docker({ timeout: 3000 })) {}

  /** Null when no engine answers in time. */
  static async connect(timeoutMs = 1500): Promise<DockerEngineView | null> {
    const docker = new Docker({ timeout: timeoutMs });
    try {
      await docker.ping();
      return new DockerEngineView(docker);
    } catch {
      return null;
    }
  }

  async publishedPorts(): Promise<PublishedPort[]> {
    const containers = await this.docker.listContainers({ all: false });
    return containers.flatMap((container) =>
      (container.Ports ?? [])
        .filter((port) => port.PublicPort)
        .map((port) => ({
          port: port.PublicPort,
          protocol: port.Type,
          privatePort: port.PrivatePort,
          labels: container.Labels ?? {},
        })),
    );
  }

  async networks(): Promise<EngineNetwork[]> {
    const networks = await this.docker.listNetworks();
    return networks.map((network) => ({
      id: network.Id,
      name: network.Name,
      subnets: (network.IPAM?.Config ?? []).map((config) => config.Subnet).filter((subnet): subnet is string => Boolean(subnet)),
      labels: network.Labels ?? {},
    }));
  }
}
