import type { Plan } from './plan.js';

/** The plan as `up --dry-run` prints it: one line a step, with its reason; unchanged containers left out. */
export function planLines(plan: Plan): string[] {
  const lines: string[] = [];
  for (const { container, reason } of plan.removeContainers) lines.push(`remove ${container.name}: ${reason}`);
  for (const { network } of plan.recreateNetworks) lines.push(`recreate network ${network.name}: its settings changed`);
  for (const network of plan.createNetworks) lines.push(`create network ${network.name}`);
  for (const volume of plan.createVolumes) lines.push(`create volume ${volume.name}`);
  for (const [project, projectPlan] of plan.projects) {
    for (const step of projectPlan.images) lines.push(`${project}: ${step.kind} ${step.service.image}: ${step.reason}`);
    for (const step of projectPlan.levels.flat()) {
      if (step.kind !== 'keep') lines.push(`${project}: ${step.kind} ${step.service.containerName}: ${step.reason}`);
    }
  }
  for (const { network, reason } of plan.removeNetworks)
    lines.push(`remove network ${network.name}${reason ? `: ${reason}` : ''}`);
  return lines;
}
