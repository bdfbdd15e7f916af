import { HostPortProbe } from '../allocation/ports/probe.js';
import { portKey, type PortGrant } from '../allocation/ports/port-request.js';
import type { SshHost, Tunnel } from '../engine/ssh-host.js';
import type { SwarmNode, SwarmService, SwarmTask } from '../engine/swarm.js';
import { LABEL } from '../model/labels.js';
import { chooseForwards, openTunnel, type Forward } from '../remote/tunnels.js';
import type { Workspace } from '../workspace/load.js';
import type { TunnelReport } from './deployment.js';
import { composeDirOf, type EngineChoice } from './edges.js';

/** A port a service publishes on the node its task runs on. */
export interface PlacedGrant {
  node: SwarmNode;
  grant: PortGrant;
}

/** How a node's shell is reached: SSH, or this machine itself (its ports need no forward). */
export type NodeShell = (node: SwarmNode) => Promise<SshHost | 'this machine'>;

/**
 * Pure: each port a running service of the workspace publishes, with the node its task runs on (a service
 * without a running task publishes nothing yet).
 */
export function placedGrants(
  root: string,
  now: { services: readonly SwarmService[]; tasks: readonly SwarmTask[]; nodes: readonly SwarmNode[] },
): PlacedGrant[] {
  const running = now.tasks.filter((task) => task.state === 'running' && task.desiredState === 'running');
  return now.services
    .filter((service) => service.labels[LABEL.root] === root)
    .flatMap((service) => {
      const task = running.find((candidate) => candidate.serviceId === service.id);
      const node = now.nodes.find((candidate) => candidate.id === task?.nodeId);
      return node ? service.ports.map((port) => ({ node, grant: grantOf(service, port) })) : [];
    });
}

/**
 * The forwards of a swarm's published ports to this machine's 127.0.0.1, one SSH connection per node, the
 * laptop ends chosen together (as for a server: the same number where free here). Reopened only when the set
 * of ports or their nodes changed. Ports of this machine's own node need no forward and get none.
 */
export class SwarmForwards {
  private tunnels: Tunnel[] = [];
  private shape = '';
  private report: Omit<TunnelReport, 'stop'> = { rows: [], udp: [] };
  forwards: Forward[] = [];

  constructor(
    private readonly workspace: Workspace,
    private readonly choice: EngineChoice,
    private readonly shellOf: NodeShell,
  ) {}

  async update(placed: readonly PlacedGrant[]): Promise<Omit<TunnelReport, 'stop'> & { changed: boolean }> {
    const shape = placed
      .map(({ node, grant }) => `${grant.key}=${node.id}:${grant.host}`)
      .sort()
      .join(',');
    if (shape === this.shape) return { ...this.report, changed: false };
    await this.stop();
    const shells = new Map<string, SshHost | 'this machine'>();
    for (const node of new Set(placed.map((entry) => entry.node))) shells.set(node.id, await this.shellOf(node));
    const remote = placed.filter(({ node }) => shells.get(node.id) !== 'this machine');
    const { forwards, udp } = await chooseForwards({
      grants: remote.map(({ grant }) => grant),
      composeDir: composeDirOf(this.workspace.root),
      engine: this.choice.id,
      range: this.workspace.settings.ports.range,
      probe: new HostPortProbe(),
    });
    const nodeOf = new Map(remote.map(({ node, grant }) => [grant.key, node]));
    for (const [nodeId, shell] of shells) {
      const here = forwards.filter((forward) => nodeOf.get(forward.key)?.id === nodeId);
      if (shell !== 'this machine' && here.length) this.tunnels.push(await openTunnel(shell, here));
    }
    const rows = forwards.map((forward) => ({
      project: forward.project,
      service: forward.service,
      local: forward.local,
      host: nodeOf.get(forward.key)!.hostname,
      remote: forward.remote,
    }));
    this.forwards = forwards;
    this.report = { rows, udp };
    this.shape = shape;
    return { rows, udp, changed: true };
  }

  async stop(): Promise<void> {
    const tunnels = this.tunnels;
    this.tunnels = [];
    this.shape = '';
    await Promise.all(tunnels.map((tunnel) => tunnel.stop()));
  }
}

/** A port a service publishes, as the grant a forward carries. */
function grantOf(service: SwarmService, port: SwarmService['ports'][number]): PortGrant {
  const project = service.labels[LABEL.project] ?? '';
  const name = service.labels[LABEL.service] ?? '';
  return {
    key: portKey(project, name, port.targetPort, port.protocol),
    project,
    service: name,
    name: `${name}-${port.targetPort}`,
    container: port.targetPort,
    protocol: port.protocol === 'udp' ? 'udp' : 'tcp',
    preferred: undefined,
    // Host mode publishes on every address of the node: the forward reaches it on the node's loopback.
    bind: '0.0.0.0',
    url: undefined,
    host: port.publishedPort,
  };
}
