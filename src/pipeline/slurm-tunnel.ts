import { HostPortProbe } from '../allocation/ports/probe.js';
import type { PortGrant } from '../allocation/ports/port-request.js';
import { InputError } from '../errors/envctl-error.js';
import type { SlurmJob } from '../engine/slurm.js';
import { runDirOf } from '../reconcile/slurm-desired.js';
import { chooseForwards, openTunnel } from '../remote/tunnels.js';
import type { Workspace } from '../workspace/load.js';
import type { TunnelReport } from './deployment.js';
import { composeDirOf, type EngineChoice } from './edges.js';
import { jobPorts } from './slurm-jobs.js';
import type { SlurmSite } from './slurm-site.js';

/**
 * envctl tunnel on a Slurm cluster: each port a running job picked on its compute node, forwarded from this
 * machine's 127.0.0.1 through the login node (one SSH connection), the laptop ends chosen as for a server.
 */
export async function slurmTunnel(
  workspace: Workspace,
  choice: EngineChoice,
  site: SlurmSite,
  jobs: readonly SlurmJob[],
): Promise<TunnelReport> {
  const ssh = site.server?.ssh;
  if (!ssh) {
    throw new InputError("This machine is the login node: it reaches the jobs' ports on their nodes itself.", {
      hint: '"envctl ps" lists each running job\'s URLs on its node.',
    });
  }
  const grants: PortGrant[] = [];
  for (const job of jobs.filter((candidate) => candidate.state === 'RUNNING')) {
    const project = job.name.slice(site.prefix.length);
    const ports = await jobPorts(site, runDirOf(site.root, project), job.id);
    for (const [key, port] of Object.entries(ports?.ports ?? {})) grants.push(grantOf(key, port, ports!.node));
  }
  const { forwards, udp } = await chooseForwards({
    grants,
    composeDir: composeDirOf(workspace.root),
    engine: choice.id,
    range: workspace.settings.ports.range,
    probe: new HostPortProbe(),
  });
  const tunnel = forwards.length ? await openTunnel(ssh, forwards) : undefined;
  const rows = forwards.map((forward) => ({
    project: forward.project,
    service: forward.service,
    local: forward.local,
    host: forward.remoteBind,
    remote: forward.remote,
  }));
  return { rows, udp, stop: async () => void (await tunnel?.stop()) };
}

/** A port a job picked on `node`, as the grant a forward carries (reached from the login node at node:port). */
export function grantOf(key: string, port: number, node: string): PortGrant {
  const [project = '', service = '', container = '', protocol = 'tcp'] = key.split('/');
  return {
    key,
    project,
    service,
    name: `${service}-${container}`,
    container: Number(container),
    protocol: protocol === 'udp' ? 'udp' : 'tcp',
    preferred: undefined,
    bind: node,
    url: undefined,
    host: port,
  };
}
