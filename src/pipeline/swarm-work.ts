import type { DockerEngine } from '../engine/docker-engine.js';
import type { Engine, LogOptions, LogStream } from '../engine/engine.js';
import type { EngineAddress } from '../engine/engine-target.js';
import { connectSwarm } from '../engine/swarm-engine.js';
import { NodeEngines } from '../engine/swarm-nodes.js';
import { EngineError, InputError } from '../errors/envctl-error.js';
import { applySwarmSteps } from '../execute/swarm-apply.js';
import { LABEL } from '../model/labels.js';
import { swarmRestartSteps } from '../reconcile/swarm-steps.js';
import { projectFolders } from '../workspace/load.js';
import { checkProjectArguments } from '../workspace/which-project.js';
import { pickOne } from './exec.js';
import { pickContainers, type LinePrinter } from './logs.js';

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
  const print = printer(picked);
  return Promise.all(
    picked.map((service, index) =>
      swarm.serviceLogs(service.id, options, (line, stream) => print(index, line, stream)),
    ),
  );
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
