import type { DockerEngine } from '../engine/docker-engine.js';
import { describeTarget, engineAddressOf } from '../engine/engine-target.js';
import { nodeCommands } from '../engine/swarm-nodes.js';
import type { SwarmNode } from '../engine/swarm.js';
import type { ExecIo, LogOptions } from '../engine/engine.js';
import { execIn, type ExecRequest } from './exec.js';
import type { LinePrinter } from './logs.js';
import { swarmEngineRunning, swarmLogs, swarmRestart, swarmSync, swarmTunnel } from './swarm-work.js';
import type { SyncEvents } from './remote-session.js';
import { connectSwarm } from '../engine/swarm-engine.js';
import { InputError, type EnvctlError } from '../errors/envctl-error.js';
import { inSwarmForeground, swarmSummary } from './swarm-foreground.js';
import type { Workspace } from '../workspace/load.js';
import type {
  Deployment,
  DownRequest,
  DownView,
  GpuReport,
  HostSync,
  TunnelReport,
  PsReport,
  RestartRequest,
  UpEnd,
  UpRequest,
  UpView,
} from './deployment.js';
import type { Check } from './doctor-check.js';
import { connectEngineOf, storeOf, type EngineChoice } from './edges.js';
import { swarmDown, swarmUp, type SwarmUpOutcome } from './swarm.js';
import { swarmGpuRows, swarmRows } from './swarm-rows.js';

/** A workspace on a Docker Swarm, deployed through one of its managers as a stack of services. */
export class SwarmDeployment implements Deployment {
  // The manager's, as doctor has always checked them; the nodes' are their generic resources (swarmChecks).
  readonly gpusOfEngine = true;

  constructor(private readonly choice: EngineChoice) {}

  /** export and import act on one engine's images and containers: a swarm's are on its nodes. */
  containerEngine(): Promise<DockerEngine> {
    throw new InputError(
      `This command works on one engine's containers, and the workspace runs on a swarm (${describeTarget(this.choice.target)}).`,
      {
        hint: 'Every other command works on a swarm; export from a workspace on one engine.',
      },
    );
  }

  async logs(root: string, targets: readonly string[], options: LogOptions, printer: LinePrinter) {
    return swarmLogs(await connectEngineOf(this.choice), root, targets, options, printer);
  }

  sync(workspace: Workspace, only: ReadonlySet<string> | undefined, events: SyncEvents): Promise<HostSync[]> {
    return swarmSync(workspace, this.choice, only, events);
  }

  tunnel(workspace: Workspace): Promise<TunnelReport> {
    return swarmTunnel(workspace, this.choice);
  }

  async exec(root: string, request: ExecRequest, io: ExecIo): Promise<number> {
    const manager = await connectEngineOf(this.choice);
    const engine = await swarmEngineRunning(manager, engineAddressOf(this.choice.target), root, request.target);
    return execIn(engine, root, request, io);
  }

  async restart(root: string, projects: readonly string[], request: RestartRequest): Promise<void> {
    await swarmRestart(await connectEngineOf(this.choice), root, projects, request.said);
  }

  /**
   * Deploys as a stack, says what changed, prints each URL on the node its task runs on; in the foreground
   * (or with --watch) it stays, as on one engine: see inSwarmForeground.
   */
  async up(workspace: Workspace, request: UpRequest, view: UpView): Promise<UpEnd> {
    const manager = await connectEngineOf(this.choice);
    const events = { ...view.events(manager.address), sync: view.sync };
    const reconcile = (current: Workspace, asked: UpRequest) => swarmUp(current, this.choice, manager, asked, events);
    const outcome = await reconcile(workspace, request);
    if (request.dryRun) {
      view.planned(planLines(outcome));
      return 'detached';
    }
    view.failed(outcome.failures, []);
    const { plan } = outcome;
    const changes = plan.create.length + plan.update.length + plan.remove.length;
    if (changes === 0 && outcome.failures.length === 0) view.nothingToDo();
    if (!request.detach || request.watch) {
      const context = { workspace, choice: this.choice, manager, request, view, events, reconcile };
      return inSwarmForeground(context, outcome);
    }
    view.summary(swarmSummary(workspace, outcome, request.only));
    return 'detached';
  }

  /** The workspace's services (of `only`), then its overlay networks; with -v, its volumes on each node. */
  async down(root: string, request: DownRequest, view: DownView): Promise<number> {
    const volumes = request.volumes ? engineAddressOf(this.choice.target) : undefined;
    return swarmDown(
      await connectEngineOf(this.choice),
      root,
      { only: request.only, volumes },
      {
        change: (project, text) => view.removed(project ? `${project}: ${text}` : text),
        warning: view.removed,
      },
    );
  }

  async ps(root: string): Promise<PsReport> {
    const { secrets } = storeOf(root, this.choice).read().state;
    const swarm = await connectSwarm(await connectEngineOf(this.choice));
    return { kind: 'services', rows: await swarmRows(swarm, root, secrets) };
  }

  async gpus(): Promise<GpuReport> {
    const swarm = await connectSwarm(await connectEngineOf(this.choice));
    return { kind: 'nodes', rows: await swarmGpuRows(swarm) };
  }

  doctorChecks(engine: DockerEngine, checks: Check[]): Promise<void> {
    return swarmChecks(engine, this.choice, checks);
  }
}

/** --dry-run on a swarm: each service created, updated or removed. */
function planLines({ plan, builds }: SwarmUpOutcome): string[] {
  const images = [...builds.projects.values()].flatMap((project) => project.images);
  return [
    ...images.map((step) => `${step.kind} image ${step.service.image} (${step.reason}), then carry it to the nodes`),
    ...plan.create.map((spec) => `create service ${spec.name}`),
    ...plan.update.map(({ spec }) => `update service ${spec.name}`),
    ...plan.remove.map((service) => `remove service ${service.name}`),
  ];
}

/** The swarm behind engine: swarm: a manager of an active swarm, and each node with its GPUs as generic resources. */
async function swarmChecks(engine: DockerEngine, choice: EngineChoice, checks: Check[]): Promise<void> {
  try {
    const swarm = await connectSwarm(engine);
    const [nodes, status] = await Promise.all([swarm.nodes(), swarm.status()]);
    checks.push({ name: 'Swarm', status: 'ok', detail: `a manager of a swarm of ${nodes.length} node(s)` });
    for (const node of nodes) {
      const where = `${node.hostname} (${node.address}, ${node.role}, ${node.state}, ${node.availability})`;
      checks.push(
        node.gpus.length
          ? {
              name: `Node ${node.hostname}`,
              status: 'ok',
              detail: `${where}: ${node.gpus.length} GPU(s) as generic resources`,
            }
          : {
              name: `Node ${node.hostname}`,
              status: 'warn',
              detail: `${where}: no NVIDIA-GPU generic resources, so no GPU project runs there`,
              fix:
                'On a GPU node, list its GPUs in /etc/docker/daemon.json ("node-generic-resources": ["NVIDIA-GPU=GPU-<uuid>", ...]) ' +
                'and restart dockerd (README "Several servers: Swarm").',
            },
      );
    }
    const manager = { address: engineAddressOf(choice.target), ssh: choice.ssh, nodeId: status.nodeId };
    const ready = nodes.filter((node) => node.state === 'ready');
    checks.push(...(await Promise.all(ready.map((node) => sshCheck(manager, node)))));
  } catch (error) {
    const failure = error as EnvctlError;
    checks.push({ name: 'Swarm', status: 'fail', detail: failure.message, fix: failure.hint });
  }
}

/** Whether envctl reaches a node's own shell and engine over SSH: its images, folders, ports and shells need it. */
async function sshCheck(manager: Parameters<typeof nodeCommands>[0], node: SwarmNode): Promise<Check> {
  const name = `SSH to ${node.hostname}`;
  try {
    const reached = await nodeCommands(manager, node);
    const how = reached === 'this machine' ? 'this machine itself' : `ssh ${reached.destination}`;
    return { name, status: 'ok', detail: `reached as ${how}` };
  } catch (error) {
    const failure = error as EnvctlError;
    return {
      name,
      status: 'warn',
      detail: `${failure.message.trim()}: builds, project folders, exec and shell cannot reach this node`,
      fix: `Make "ssh ${node.hostname}" work from here (~/.ssh/config: HostName, User, ProxyJump), as for the manager.`,
    };
  }
}
