import type { DockerEngine } from '../engine/docker-engine.js';
import type { Engine, LogOptions, LogStream } from '../engine/engine.js';
import { engineAddressOf, type EngineAddress } from '../engine/engine-target.js';
import { connectSwarm } from '../engine/swarm-engine.js';
import { nodeCommands, NodeEngines, reachNodes } from '../engine/swarm-nodes.js';
import { EngineError, InputError } from '../errors/envctl-error.js';
import { applySwarmSteps } from '../execute/swarm-apply.js';
import { LABEL } from '../model/labels.js';
import { swarmRestartSteps } from '../reconcile/swarm-steps.js';
import { projectFolders, type Workspace } from '../workspace/load.js';
import { checkProjectArguments } from '../workspace/which-project.js';
import { pickOne } from './exec.js';
import { pickContainers, streamEach, type LinePrinter } from './logs.js';
import type { HostSync, TunnelReport } from './deployment.js';
import { connectEngineOf, type EngineChoice } from './edges.js';
import { placedGrants, SwarmForwards } from './swarm-forwards.js';
import type { SyncEvents } from './remote-session.js';
import { SwarmFolders } from './swarm-folders.js';

/** envctl logs on a swarm: each picked service's output, all its tasks', through the manager's service logs. */
export async function swarmLogs(
  manager: DockerEngine,
  root: string,
  targets: readonly string[],
  options: LogOptions,
  printer: LinePrinter,
): Promise<LogStream[]> {
  const swarm = await connectSwarm(manager);
  const services = await swarm.services(LABEL.root, root);
  checkNamed(root, targets, services);
  const picked = pickContainers(services, targets);
  return streamEach(picked, (service, onLine) => swarm.serviceLogs(service.id, options, onLine), printer);
}

/** The engine of the node where the target's task runs, reached over SSH: exec and shell run there. */
export async function swarmEngineRunning(
  manager: DockerEngine,
  managerAddress: EngineAddress,
  root: string,
  target: string,
): Promise<Engine> {
  const swarm = await connectSwarm(manager);
  const [status, services, nodes] = await Promise.all([
    swarm.status(),
    swarm.services(LABEL.root, root),
    swarm.nodes(),
  ]);
  const service = pickOne(services, target, projectFolders(root));
  const tasks = await swarm.tasks([service.id]);
  const task = tasks.find((candidate) => candidate.state === 'running' && candidate.desiredState === 'running');
  const node = nodes.find((candidate) => candidate.id === task?.nodeId);
  if (!task || !node) {
    const project = service.labels[LABEL.project] ?? target;
    const why = tasks.find((candidate) => candidate.error)?.error;
    throw new InputError(`Project "${project}" has no running task on the swarm${why ? ` (${why})` : ''}.`, {
      hint: `See where it stands with "envctl ps"; start it with "envctl up -d ${project}".`,
    });
  }
  return new NodeEngines(manager, managerAddress, status.nodeId).engineOf(node);
}

/**
 * envctl restart on a swarm: each service of the named projects (all when none) gets new tasks of the same
 * spec, and each is watched until a new task runs; one that does not fails the command with the swarm's reason.
 */
export async function swarmRestart(
  manager: DockerEngine,
  root: string,
  projects: readonly string[],
  said: (line: string) => void,
): Promise<void> {
  const swarm = await connectSwarm(manager);
  const [services, tasks] = await Promise.all([swarm.services(LABEL.root, root), swarm.tasks()]);
  checkNamed(root, projects, services);
  const only = projects.length ? new Set(projects) : undefined;
  const steps = swarmRestartSteps(root, { services, tasks }, only);
  const settled = await applySwarmSteps(swarm, steps, {
    change: (_project, text) => said(text),
    warning: () => undefined,
  });
  const failure = settled?.failures[0];
  if (failure)
    throw new EngineError(`${failure.service} did not come back after the restart: ${failure.reason}.`, {
      hint: `See its output with "envctl logs ${failure.project}".`,
    });
}

/** The projects a command names exist: as folders, or as the services the swarm runs for this workspace. */
function checkNamed(
  root: string,
  names: readonly string[],
  services: ReadonlyArray<{ labels: Record<string, string> }>,
) {
  if (names.length === 0) return;
  const running = services.map((service) => service.labels[LABEL.project] ?? '').filter(Boolean);
  checkProjectArguments(
    names.map((name) => name.split('/')[0]!),
    [...projectFolders(root), ...running],
  );
}

/** What a swarm command that reaches the nodes needs: its manager, nodes, services and tasks, read once. */
async function swarmNow(manager: DockerEngine, root: string) {
  const swarm = await connectSwarm(manager);
  const [status, nodes, services, tasks] = await Promise.all([
    swarm.status(),
    swarm.nodes(),
    swarm.services(LABEL.root, root),
    swarm.tasks(),
  ]);
  return { status, now: { root, nodes, services, tasks } };
}

/** envctl sync on a swarm: each project that mounts its folder, with the node its task runs on, both ways. */
export async function swarmSync(
  workspace: Workspace,
  choice: EngineChoice,
  only: ReadonlySet<string> | undefined,
  events: SyncEvents,
): Promise<HostSync[]> {
  const manager = await connectEngineOf(choice);
  const { status, now } = await swarmNow(manager, workspace.root);
  const address = { address: engineAddressOf(choice.target), ssh: choice.ssh, nodeId: status.nodeId };
  const reached = await reachNodes(address, now.nodes);
  for (const { node, reached: failed } of reached)
    if (failed instanceof Error)
      events.warning(`node ${node.hostname} takes no project folder: ${failed.message.trim()}`);
  const folders = await SwarmFolders.open(workspace, choice, reached, now, (text) => events.warning(text));
  return folders.syncWhereRunning(only, events);
}

/**
 * envctl tunnel on a swarm: each port a service of the workspace publishes, forwarded from this machine's
 * 127.0.0.1 to the node its task runs on, one SSH connection per node; the laptop ends chosen as for a server.
 */
export async function swarmTunnel(workspace: Workspace, choice: EngineChoice): Promise<TunnelReport> {
  const manager = await connectEngineOf(choice);
  const { status, now } = await swarmNow(manager, workspace.root);
  const address = { address: engineAddressOf(choice.target), ssh: choice.ssh, nodeId: status.nodeId };
  const forwards = new SwarmForwards(workspace, choice, (node) => nodeCommands(address, node));
  const { rows, udp } = await forwards.update(placedGrants(workspace.root, now));
  return { rows, udp, stop: () => forwards.stop() };
}
