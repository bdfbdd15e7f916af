import type { Engine } from './engine.js';
import type { DockerEngine } from './docker-engine.js';
import type { EngineAddress } from './engine-target.js';
import type { SwarmNode } from './swarm.js';
import { SshHost } from './ssh-host.js';

/**
 * How envctl reaches a swarm node's own engine (for what the service API cannot do: carry images, run a shell):
 * over SSH by the node's hostname, as the user reaches the manager (the same user, when the manager is
 * ssh://user@...); the user's ~/.ssh/config says the rest (HostName, Port, ProxyJump), as for `ssh <node>`.
 */
export function nodeEngineAddress(manager: EngineAddress, node: SwarmNode): Extract<EngineAddress, { kind: 'ssh' }> {
  const user = manager.kind === 'ssh' ? manager.ssh.user : undefined;
  return {
    kind: 'ssh',
    ssh: { user, host: node.hostname, port: undefined },
    source: manager.source,
    url: `ssh://${user ? `${user}@` : ''}${node.hostname}`,
  };
}

/**
 * A node's shell, for the probes that read its kernel (its listening ports): the manager's SSH connection for
 * the manager's node, none (this machine) when the manager is this machine's engine, else SSH by hostname.
 */
export async function nodeCommands(
  manager: { address: EngineAddress; ssh: SshHost | undefined; nodeId: string },
  node: SwarmNode,
): Promise<SshHost | 'this machine'> {
  if (node.id === manager.nodeId) {
    if (manager.address.kind === 'unix') return 'this machine';
    if (manager.ssh) return manager.ssh;
  }
  const ssh = new SshHost(nodeEngineAddress(manager.address, node).ssh);
  await ssh.connect();
  return ssh;
}

/** A node that takes tasks, and its shell as reached once: SSH, this machine itself, or why neither. */
export interface ReachedNode {
  node: SwarmNode;
  reached: SshHost | 'this machine' | Error;
}

/** Every ready, active node, reached once each (in parallel), for all that needs its shell in one command. */
export function reachNodes(
  manager: { address: EngineAddress; ssh: SshHost | undefined; nodeId: string },
  nodes: readonly SwarmNode[],
): Promise<ReachedNode[]> {
  const ready = nodes.filter((node) => node.state === 'ready' && node.availability === 'active');
  return Promise.all(
    ready.map((node) =>
      nodeCommands(manager, node).then(
        (reached) => ({ node, reached }),
        (error: unknown) => ({ node, reached: error instanceof Error ? error : new Error(String(error)) }),
      ),
    ),
  );
}

/** Each node's engine, connected once: the manager's own connection for the manager's node. */
export class NodeEngines {
  private readonly engines = new Map<string, Promise<Engine>>();

  constructor(
    private readonly manager: DockerEngine,
    private readonly managerAddress: EngineAddress,
    private readonly managerNodeId: string,
  ) {}

  engineOf(node: SwarmNode): Promise<Engine> {
    if (node.id === this.managerNodeId) return Promise.resolve(this.manager);
    const known = this.engines.get(node.id);
    if (known) return known;
    const connected = import('./engine-connect.js').then(({ connectDocker }) =>
      connectDocker({ target: nodeEngineAddress(this.managerAddress, node) }),
    );
    this.engines.set(node.id, connected);
    return connected;
  }
}
