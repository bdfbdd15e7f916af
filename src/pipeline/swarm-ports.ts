import { HostPortProbe, RemotePortProbe, type PortProbe } from '../allocation/ports/probe.js';
import type { SwarmService } from '../engine/swarm.js';
import type { ReachedNode } from '../engine/swarm-nodes.js';
import type { EngineView } from '../engine/engine-view.js';

/**
 * What render reads of the engine, on a swarm: the ports the swarm's services publish (on whichever node their
 * tasks run), so that this workspace's keep theirs and another's are taken, as a container's are on one engine.
 */
export function swarmEngineView(manager: EngineView, services: readonly SwarmService[]): EngineView {
  const published = services.flatMap((service) =>
    service.ports.map((port) => ({
      port: port.publishedPort,
      protocol: port.protocol,
      labels: service.labels,
      privatePort: port.targetPort,
    })),
  );
  return {
    publishedPorts: () => Promise.resolve(published),
    networks: () => manager.networks(),
    runningWithGpus: () => manager.runningWithGpus(),
    gpuSupport: () => manager.gpuSupport(),
  };
}

/**
 * Host ports on a swarm: free of every listener on each node that takes tasks (read over SSH as on a remote
 * server: a task may land on, or move to, any of them). A node that could not be reached (said by the caller)
 * has its ports taken to be free of all but the swarm's services (swarmEngineView).
 */
export function swarmPortProbe(nodes: readonly ReachedNode[]): PortProbe {
  const probes = nodes.flatMap(({ reached }): PortProbe[] => {
    if (reached instanceof Error) return [];
    return [reached === 'this machine' ? new HostPortProbe() : new RemotePortProbe(reached)];
  });
  return {
    isFree: async (port, protocol) => {
      const answers = await Promise.all(probes.map((probe) => probe.isFree(port, protocol)));
      return answers.every(Boolean);
    },
  };
}
