import { keyLocator } from '../workspace/key-location.js';
import type { DockerEngine } from '../engine/docker-engine.js';
import { connectSwarm } from '../engine/swarm-engine.js';
import type { SwarmNode, SwarmService, SwarmTask } from '../engine/swarm.js';
import { applySwarmSteps, type SwarmEvents } from '../execute/swarm-apply.js';
import type { RenderOutcome } from '../merge/render-outcome.js';
import { LABEL, STACK_NAMESPACE } from '../model/labels.js';
import { swarmDesired, type Placement, type SwarmDesired } from '../reconcile/swarm-desired.js';
import { checkGpuFit, planSwarm, withoutProjects, type SwarmPlan } from '../reconcile/swarm-plan.js';
import type { ApplyReporter } from '../execute/apply.js';
import { engineAddressOf, type EngineAddress } from '../engine/engine-target.js';
import { removeNodeVolumes } from '../execute/swarm-volumes.js';
import { teardownError, type TeardownFailure } from '../execute/teardown.js';
import { planDown } from '../reconcile/plan-down.js';
import { EngineError } from '../errors/envctl-error.js';
import { NodeEngines, reachNodes, type ReachedNode } from '../engine/swarm-nodes.js';
import type { Desired } from '../reconcile/desired.js';
import type { Plan, PlanOptions } from '../reconcile/plan.js';
import { buildOnManager, carryToNodes } from './swarm-images.js';
import { swarmEngineView, swarmPortProbe } from './swarm-ports.js';
import { SwarmFolders } from './swarm-folders.js';
import type { SyncEvents } from './remote-session.js';
import type { EngineView } from '../engine/engine-view.js';
import type { PortProbe } from '../allocation/ports/probe.js';
import { hashBuilds } from './up.js';
import { swarmDownSteps, swarmSteps } from '../reconcile/swarm-steps.js';
import { currentHostUser } from '../util/host-user.js';
import type { Workspace } from '../workspace/load.js';
import { desiredOf } from './desired-of.js';
import { storeOf, type EngineChoice } from './edges.js';
import { persistRender } from './persist.js';
import { renderWorkspace, type RenderEdges } from './render-workspace.js';

export type { SwarmEvents };

export interface SwarmUpOutcome {
  render: RenderOutcome;
  /** The workspace's services resolved, before their translation: what the watcher's inputs come from. */
  wanted: Desired;
  desired: SwarmDesired;
  plan: SwarmPlan;
  /** What the manager builds for the services. */
  builds: Plan;
  /** Projects whose image did not build or whose tasks did not reach running: what is left, and why. */
  failures: Array<{ project: string; left: string; error: Error }>;
  nodes: SwarmNode[];
  tasks: SwarmTask[];
  services: SwarmService[];
  /** Each ready node, as reached over SSH once in this up (or why not). */
  reached: ReachedNode[];
  /** Where the project folders went: a foreground up keeps syncing them. */
  folders: SwarmFolders;
}

export type SwarmUpEvents = SwarmEvents & ApplyReporter & { sync: SyncEvents };

/**
 * envctl up on a swarm: render (ports free of every other service's, subnets clear of the swarm's networks),
 * the images built on the manager, the desired services as the stack's, a plan against what the swarm runs,
 * the GPU fit over the nodes, the built images carried to the nodes that lack them, then networks, services,
 * removals; and wait for each new task to run or say why not.
 */
export async function swarmUp(
  workspace: Workspace,
  choice: EngineChoice,
  engine: DockerEngine,
  options: PlanOptions & { dryRun?: boolean },
  events: SwarmUpEvents,
): Promise<SwarmUpOutcome> {
  const swarm = await connectSwarm(engine);
  const [status, nodes, services, tasks] = await Promise.all([
    swarm.status(),
    swarm.nodes(),
    swarm.services(STACK_NAMESPACE),
    swarm.tasks(),
  ]);
  const manager = { address: engineAddressOf(choice.target), ssh: choice.ssh, nodeId: status.nodeId };
  const reached = await reachNodes(manager, nodes);
  for (const { node, reached: failed } of reached)
    if (failed instanceof Error) events.warning(unreachable(node.hostname, failed));
  const ports = swarmPortProbe(reached);
  const view = swarmEngineView(engine, services);
  const now = { root: workspace.root, nodes, services, tasks };
  const folders = await SwarmFolders.open(workspace, choice, reached, now, (text) => events.warning(text));
  const edges = { view, ports, bindSource: folders.bindSource };
  const { render, wanted } = await renderOnSwarm(workspace, choice, edges, options);
  const placements = folders.pinned(placementsOf(workspace));
  const registry = workspace.settings.swarm.registry?.value;
  const builds = await buildOnManager(wanted, engine, { ...options, registry }, events);
  const desired = swarmDesired(wanted, placements, keyLocator(workspace.projects), builds.built);
  for (const warning of [...render.warnings, ...desired.warnings]) events.warning(warning);
  const unbuilt = new Set(builds.failures.map((failure) => failure.project));
  const planned = planSwarm(desired, { services, networks: await swarm.networks() }, options.only);
  const plan = withoutProjects(planned, unbuilt);
  const pins = checkGpuFit(plan, nodes, tasks, services);
  const failures = builds.failures.map(({ project, error }) => ({
    project,
    left: 'its image did not build: its services run as before',
    error,
  }));
  const outcome = {
    render,
    wanted,
    desired,
    plan,
    builds: builds.plan,
    failures,
    nodes,
    tasks,
    services,
    reached,
    folders,
  };
  if (options.dryRun) return outcome;
  const running = [...plan.create, ...plan.update.map((update) => update.spec), ...plan.unchanged];
  const nodeEngines = new NodeEngines(engine, manager.address, status.nodeId);
  await folders.sync(options.only, events.sync);
  await carryToNodes(running, { nodes, pins }, { manager: engine, nodes: nodeEngines }, events);
  const settled = await applySwarmSteps(swarm, swarmSteps(plan, pins), events);
  if (!settled) return outcome;
  const notRunning = settled.failures.map(({ project, service, reason }) => ({
    project,
    left: `${service} does not run`,
    error: new EngineError(`${reason}.`),
  }));
  return { ...outcome, ...settled, failures: [...failures, ...notRunning] };
}

/** What a node that envctl cannot reach over SSH misses on this up. */
function unreachable(hostname: string, error: Error): string {
  return (
    `node ${hostname} cannot be reached over SSH (${error.message.trim()}): its listening ports are not checked, ` +
    'it takes no project folder, and images envctl builds are not carried there.'
  );
}

/** Render with the swarm's edges; its check refuses, at file and line, what a swarm service cannot carry. */
async function renderOnSwarm(
  workspace: Workspace,
  choice: EngineChoice,
  { view, ports, bindSource }: { view: EngineView; ports: PortProbe; bindSource: (path: string) => string },
  options: { dryRun?: boolean },
) {
  const store = storeOf(workspace.root, choice);
  const edges: RenderEdges = {
    ports,
    gpus: {
      discover: () => Promise.resolve({ available: false, reason: "a swarm's GPUs are its nodes' generic resources" }),
    },
    engine: view,
    routes: { routes: () => Promise.resolve([]) },
    store,
    user: currentHostUser(),
    target: 'swarm',
    bindSource,
  };
  let wanted: Desired | undefined;
  const render = await renderWorkspace(
    workspace,
    edges,
    options.dryRun ? () => undefined : (outcome) => persistRender(store, workspace.settings.name, outcome),
    {
      check: (outcome) => {
        wanted = hashBuilds(desiredOf(workspace, store.composeDir, outcome, edges.bindSource));
        swarmDesired(wanted, placementsOf(workspace), keyLocator(workspace.projects));
      },
    },
  );
  return { render, wanted: wanted!, store };
}

/** Where each project may run (envctl.yml placement:), and whether its GPUs are shared. */
function placementsOf(workspace: Workspace): Map<string, Placement> {
  return new Map(
    workspace.projects.map((project) => [
      project.name,
      { ...project.placement, sharedGpus: project.gpuSharing === 'shared' },
    ]),
  );
}

/**
 * envctl down on a swarm: the workspace's services (of `only`), then its overlay networks; with `volumes`, the
 * named volumes each node made for them, on every node (reached over SSH), every one attempted.
 */
export async function swarmDown(
  engine: DockerEngine,
  root: string,
  request: { only: ReadonlySet<string> | undefined; volumes: EngineAddress | undefined },
  events: SwarmEvents,
): Promise<number> {
  const swarm = await connectSwarm(engine);
  const [status, services, networks] = await Promise.all([
    swarm.status(),
    swarm.services(LABEL.root, root),
    swarm.networks(),
  ]);
  const steps = swarmDownSteps(root, { services, networks }, request.only);
  await applySwarmSteps(swarm, steps, events);
  const removed = steps.filter((step) => step.kind === 'remove-service').length;
  if (!request.volumes) return removed;
  const nodes = new NodeEngines(engine, request.volumes, status.nodeId);
  const failures: TeardownFailure[] = [];
  let volumes = 0;
  for (const node of await swarm.nodes()) {
    if (node.state !== 'ready') {
      events.warning(`node ${node.hostname} is ${node.state}: the volumes it holds stay there`);
      continue;
    }
    const nodeEngine = await nodes.engineOf(node);
    const observed = { containers: [], networks: [], volumes: await nodeEngine.volumes(LABEL.root, root) };
    const plan = planDown(observed, root, { only: request.only, volumes: true });
    const report = (line: string) => {
      volumes += 1;
      events.change(null, line);
    };
    failures.push(...(await removeNodeVolumes(nodeEngine, node.hostname, plan.volumes, report)));
  }
  if (failures.length) throw teardownError(failures);
  return removed + volumes;
}
