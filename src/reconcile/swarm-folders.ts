import type { SwarmNode, SwarmService, SwarmTask } from '../engine/swarm.js';
import { LABEL } from '../model/labels.js';
import { constraintsOf, type Placement } from './swarm-desired.js';
import { allows } from './swarm-plan.js';

export interface FolderProject {
  name: string;
  placement: Placement;
  /** The GPUs it reserves: its node must have that many free. */
  gpus: number;
}

/** What the swarm runs now, for where a project's task is and how busy each node is. */
export interface SwarmNow {
  root: string;
  nodes: readonly SwarmNode[];
  services: readonly SwarmService[];
  tasks: readonly SwarmTask[];
}

/**
 * Pure: the node a project that mounts its own folder runs on, so that its folder can be synced there first:
 * the node its placement names; else the node its task runs on now (its files are there); else, among the nodes
 * its placement allows (of `reachable`, those envctl can sync with), one with its GPUs free, the fewest of the
 * workspace's tasks, then by hostname. Undefined when none is allowed.
 */
export function folderNode(
  project: FolderProject,
  reachable: readonly SwarmNode[],
  now: SwarmNow,
): SwarmNode | undefined {
  const constraints = constraintsOf(project.placement);
  const allowed = reachable.filter((node) => allows(constraints, node));
  const current = runningNodeOf(project.name, now);
  if (!project.placement.node && current && allowed.some((node) => node.id === current)) {
    return allowed.find((node) => node.id === current);
  }
  const running = now.tasks.filter((task) => task.state === 'running' && task.desiredState === 'running');
  const ours = new Set(now.services.filter((s) => s.labels[LABEL.root] === now.root).map((s) => s.id));
  const load = (node: SwarmNode) =>
    running.filter((task) => task.nodeId === node.id && ours.has(task.serviceId)).length;
  const free = (node: SwarmNode) =>
    node.gpus.length - running.filter((task) => task.nodeId === node.id).flatMap((task) => task.gpus).length;
  return allowed
    .filter((node) => free(node) >= project.gpus)
    .sort((a, b) => load(a) - load(b) || a.hostname.localeCompare(b.hostname))[0];
}

/** The node a project's task runs on now, if one does. */
export function runningNodeOf(project: string, now: SwarmNow): string | undefined {
  const services = now.services.filter(
    (service) => service.labels[LABEL.root] === now.root && service.labels[LABEL.project] === project,
  );
  const ids = new Set(services.map((service) => service.id));
  return now.tasks.find((task) => ids.has(task.serviceId) && task.state === 'running')?.nodeId;
}
