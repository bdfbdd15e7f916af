import { HostPortProbe, RemotePortProbe, type PortProbe } from '../allocation/ports/probe.js';
import type { EngineAddress } from '../engine/engine-target.js';
import type { SshHost } from '../engine/ssh-host.js';
import type { SwarmNode, SwarmService } from '../engine/swarm.js';
import { nodeCommands } from '../engine/swarm-nodes.js';
import type { EngineView } from '../engine/engine-view.js';

export interface SwarmPortScope {
  manager: { address: EngineAddress; ssh: SshHost | undefined; nodeId: string };
  nodes: readonly SwarmNode[];
}

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
 * server: a task may land on, or move to, any of them). A node whose ports cannot be read is said once, and its
 * ports are taken to be free of all but the swarm's services (swarmEngineView).
 */
export async function swarmPortProbe(scope: SwarmPortScope, warning: (text: string) => void): Promise<PortProbe> {
  const nodes = scope.nodes.filter((node) => node.state === 'ready' && node.availability === 'active');
  const probes = await Promise.all(nodes.map((node) => nodeProbe(scope, node, warning)));
  return {
    isFree: async (port, protocol) => {
      const answers = await Promise.all(probes.map((probe) => probe?.isFree(port, protocol) ?? Promise.resolve(true)));
      return answers.every(Boolean);
    },
  };
}

async function nodeProbe(
  scope: SwarmPortScope,
  node: SwarmNode,
  warning: (text: string) => void,
): Promise<PortProbe | undefined> {
  try {
    const commands = await nodeCommands(scope.manager, node);
    return commands === 'this machine' ? new HostPortProbe() : new RemotePortProbe(commands);
  } catch (error) {
    warning(
      `the ports in use on node ${node.hostname} could not be read (${(error as Error).message.trim()}); ` +
        "ports there are chosen free of the swarm's services only.",
    );
    return undefined;
  }
}
