/** The composition root of the pipeline: the real edges (sockets, routes, nvidia-smi, the engine, state). */
import { join } from 'node:path';
import { NO_ENGINE, type EngineView } from '../engine/engine-view.js';
import { existsSync } from 'node:fs';
import { KernelRoutes } from '../allocation/network/host-routes.js';
import { currentHostUser } from '../util/host-user.js';
import type { RenderEdges } from './render-workspace.js';
import { HostPortProbe } from '../allocation/ports/probe.js';
import { NvidiaSmiProbe } from '../allocation/gpu/probe.js';
import { StateStore } from '../state/state-store.js';
import { BUILTIN_TEMPLATES } from '../templates/builtin.js';
import { loadWorkspace, type Workspace } from '../workspace/load.js';
import { findWorkspaceRoot } from '../workspace/root.js';

export function composeDirOf(root: string): string {
  return join(root, 'compose');
}

/** The workspace the current folder is in, or the one `--workspace` names, loaded. */
export function openWorkspace(workspaceOption: string | undefined): Workspace {
  const root = findWorkspaceRoot(process.cwd(), workspaceOption);
  return loadWorkspace(root, { builtinTemplates: BUILTIN_TEMPLATES });
}

/** The real edges: the host's sockets and routes, the engine when one answers, state under compose/. */
export async function realEdges(root: string, engine?: EngineView): Promise<RenderEdges> {
  return {
    ports: new HostPortProbe(),
    gpus: new NvidiaSmiProbe(),
    engine: engine ?? (await connectEngine()),
    routes: new KernelRoutes(),
    store: new StateStore(composeDirOf(root)),
    user: currentHostUser(),
  };
}

/** The engine when one answers; dockerode is loaded only when there is a socket or DOCKER_HOST to try. */
async function connectEngine(): Promise<EngineView> {
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return NO_ENGINE;
  const { connectDocker } = await import('../engine/docker-engine.js');
  return connectDocker({ timeoutMs: 1500 }).catch(() => NO_ENGINE);
}
