import { unknownTarget } from '../engine/engine-target.js';
import type { Deployment } from './deployment.js';
import type { DockerEngine } from '../engine/docker-engine.js';
import { engineChoiceAt, type EngineChoice } from './edges.js';
import { EngineDeployment } from './engine-deployment.js';

/**
 * The one place a kind of target picks its Deployment. A new kind (engine-target.ts) gets its class here; the
 * `never` check makes a kind without one a compile error.
 */
export async function deploymentOf(choice: EngineChoice): Promise<Deployment> {
  const target = choice.target;
  switch (target.kind) {
    case 'unix':
    case 'ssh':
    case 'tcp':
      return new EngineDeployment(choice);
    case 'swarm': {
      // Loaded only for a swarm workspace: one engine's commands should not pay for it.
      const { SwarmDeployment } = await import('./swarm-deployment.js');
      return new SwarmDeployment(choice);
    }
    case 'slurm': {
      const { SlurmDeployment } = await import('./slurm-deployment.js');
      return new SlurmDeployment(choice);
    }
    default:
      return unknownTarget(target);
  }
}

/** The deployment of the workspace at `root` (its workspace.yml's engine, unless `--engine` says otherwise). */
export function workspaceDeployment(root: string, engineOption: string | undefined): Promise<Deployment> {
  return deploymentOf(engineChoiceAt(root, engineOption));
}

/** The engine logs, exec, shell, restart and share act on, for the workspace at `root`. */
export async function containerEngineAt(root: string, engineOption: string | undefined): Promise<DockerEngine> {
  return (await workspaceDeployment(root, engineOption)).containerEngine();
}
