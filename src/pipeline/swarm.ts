import { keyLocator } from '../workspace/key-location.js';
import type { DockerEngine } from '../engine/docker-engine.js';
import { connectSwarm } from '../engine/swarm-engine.js';
import type { SwarmNode, SwarmService, SwarmTask } from '../engine/swarm.js';
import { applySwarmSteps, type SwarmEvents } from '../execute/swarm-apply.js';
import type { RenderOutcome } from '../merge/render-outcome.js';
import { LABEL, STACK_NAMESPACE } from '../model/labels.js';
import { unsyncedBindSource } from '../remote/remote-paths.js';
import { swarmDesired, type Placement, type SwarmDesired } from '../reconcile/swarm-desired.js';
import { checkGpuFit, planSwarm, type SwarmPlan } from '../reconcile/swarm-plan.js';
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
  desired: SwarmDesired;
  plan: SwarmPlan;
  /** Projects whose tasks did not reach running, with the swarm's reason. */
  failures: Array<{ project: string; service: string; reason: string }>;
  nodes: SwarmNode[];
  tasks: SwarmTask[];
  services: SwarmService[];
}

/**
 * envctl up on a swarm: render (ports free of every other service's, subnets clear of the swarm's networks),
 * the desired services as the stack's, a plan against what the swarm runs, the GPU fit over the nodes, then
 * networks, services, removals; and wait for each new task to run or say why not.
 */
export async function swarmUp(
  workspace: Workspace,
  choice: EngineChoice,
  engine: DockerEngine,
  options: { only?: ReadonlySet<string>; dryRun?: boolean },
  events: SwarmEvents,
): Promise<SwarmUpOutcome> {
  const swarm = await connectSwarm(engine);
  const [nodes, services, tasks] = await Promise.all([swarm.nodes(), swarm.services(STACK_NAMESPACE), swarm.tasks()]);
  const foreignPorts = new Set(
    services
      .filter((service) => service.labels[LABEL.root] !== workspace.root)
      .flatMap((service) => service.ports.map((port) => port.publishedPort)),
  );
  const store = storeOf(workspace.root, choice);
  const edges: RenderEdges = {
    ports: { isFree: (port) => Promise.resolve(!foreignPorts.has(port)) },
    gpus: {
      discover: () => Promise.resolve({ available: false, reason: "a swarm's GPUs are its nodes' generic resources" }),
    },
    engine,
    routes: { routes: () => Promise.resolve([]) },
    store,
    user: currentHostUser(),
    target: 'swarm',
    bindSource: unsyncedBindSource(workspace.root, engine.address),
  };
  const placements = new Map<string, Placement>(
    workspace.projects.map((project) => [
      project.name,
      { ...project.placement, sharedGpus: project.gpuSharing === 'shared' },
    ]),
  );
  let desired: SwarmDesired | undefined;
  const render = await renderWorkspace(
    workspace,
    edges,
    options.dryRun ? () => undefined : (outcome) => persistRender(store, workspace.settings.name, outcome),
    {
      check: (outcome) => {
        const wanted = desiredOf(workspace, store.composeDir, outcome, edges.bindSource);
        desired = swarmDesired(wanted, placements, keyLocator(workspace.projects));
      },
    },
  );
  for (const warning of desired!.warnings) events.warning(warning);
  const plan = planSwarm(desired!, { services, networks: await swarm.networks() }, options.only);
  const pins = checkGpuFit(plan, nodes, tasks, services);
  const outcome = { render, desired: desired!, plan, failures: [], nodes, tasks, services };
  if (options.dryRun) return outcome;
  const settled = await applySwarmSteps(swarm, swarmSteps(plan, pins), events);
  return { ...outcome, ...settled };
}

/** envctl down on a swarm: the workspace's services (of `only`), then its overlay networks. */
export async function swarmDown(
  engine: DockerEngine,
  root: string,
  only: ReadonlySet<string> | undefined,
  events: SwarmEvents,
): Promise<number> {
  const swarm = await connectSwarm(engine);
  const [services, networks] = await Promise.all([swarm.services(LABEL.root, root), swarm.networks()]);
  const steps = swarmDownSteps(root, { services, networks }, only);
  await applySwarmSteps(swarm, steps, events);
  return steps.filter((step) => step.kind === 'remove-service').length;
}
