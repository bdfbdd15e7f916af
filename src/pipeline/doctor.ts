import { NO_GPU_FIX } from '../allocation/gpu/allocate-gpus.js';
import { NvidiaSmiProbe } from '../allocation/gpu/probe.js';
import { HostPortProbe } from '../allocation/ports/probe.js';
import { connectDocker, type DockerEngine } from '../engine/docker-engine.js';
import { formatLocation, type EnvctlError } from '../errors/envctl-error.js';
import { StateStore } from '../state/state-store.js';
import { DOTFILES_INSTALL_SCRIPTS } from '../render/dotfiles.js';
import { readdirSync } from 'node:fs';
import type { Workspace } from '../workspace/load.js';
import { composeDirOf, openWorkspace, realEdges } from './edges.js';
import { renderWorkspace } from './render-workspace.js';

export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

/** Each thing envctl needs, whether it has it, and the fix: the work of envctl doctor. */
export async function doctorChecks(workspaceOption: string | undefined): Promise<Check[]> {
  const checks: Check[] = [nodeCheck()];
  const engine = await engineCheck(checks);
  const workspace = await workspaceCheck(workspaceOption, engine, checks);
  if (workspace) {
    stateCheck(workspace, checks);
    checks.push(dotfilesCheck(workspace));
    await portRangeCheck(workspace, checks);
  }
  await gpuChecks(engine, workspace, checks);
  return checks;
}

function nodeCheck(): Check {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const ok = major > 20 || (major === 20 && minor >= 5);
  return ok
    ? { name: 'Node.js', status: 'ok', detail: process.version }
    : {
        name: 'Node.js',
        status: 'fail',
        detail: `${process.version} is older than envctl needs`,
        fix: 'Install Node.js 20.5 or later.',
      };
}

async function engineCheck(checks: Check[]): Promise<DockerEngine | undefined> {
  try {
    const engine = await connectDocker({ timeoutMs: 3000 });
    const { version, apiVersion } = await engine.version();
    checks.push({ name: 'Docker Engine', status: 'ok', detail: `${version} (API ${apiVersion}) at ${engine.address}` });
    return engine;
  } catch (error) {
    const failure = error as EnvctlError;
    checks.push({ name: 'Docker Engine', status: 'fail', detail: failure.message, fix: failure.hint });
    return undefined;
  }
}

async function workspaceCheck(
  workspaceOption: string | undefined,
  engine: DockerEngine | undefined,
  checks: Check[],
): Promise<Workspace | undefined> {
  try {
    const workspace = openWorkspace(workspaceOption);
    const edges = await realEdges(workspace.root, engine);
    const outcome = await renderWorkspace(workspace, edges, () => undefined);
    const names = workspace.projects.map((project) => project.name);
    checks.push({
      name: 'Workspace',
      status: 'ok',
      detail:
        `${workspace.root}: ${names.length} project(s) listed${names.length ? ` (${names.join(', ')})` : ''}, all load and ` +
        `render${outcome.warnings.length ? `; ${outcome.warnings.join(' ')}` : ''}`,
    });
    return workspace;
  } catch (error) {
    const failure = error as EnvctlError;
    const where = failure.location ? `${formatLocation(failure.location)}: ` : '';
    checks.push({
      name: 'Workspace',
      status: 'fail',
      detail: `${failure.message.includes(failure.location?.file ?? '\0') ? '' : where}${failure.message}`,
      fix: failure.hint,
    });
    return undefined;
  }
}

function dotfilesCheck(workspace: Workspace): Check {
  const folder = workspace.settings.dotfiles;
  if (!folder)
    return {
      name: 'Dotfiles',
      status: 'ok',
      detail:
        'none (optional): "dotfiles: ~/dotfiles" in workspace.yml carries your shell and git setup into every environment',
    };
  const names = readdirSync(folder);
  const linked = names.filter((name) => name.startsWith('.') && name !== '.git');
  const script = DOTFILES_INSTALL_SCRIPTS.find((name) => names.includes(name));
  return {
    name: 'Dotfiles',
    status: 'ok',
    detail: `${folder}: ${linked.length} dotfile(s) linked into each home${script ? `, ${script} run once per container` : ''}`,
  };
}

function stateCheck(workspace: Workspace, checks: Check[]): void {
  const store = new StateStore(composeDirOf(workspace.root));
  const { state, warning } = store.read();
  checks.push(
    warning
      ? {
          name: 'State under compose/',
          status: 'warn',
          detail: warning,
          fix: 'Nothing to do: the next render or up rebuilds it from the engine and the host.',
        }
      : {
          name: 'State under compose/',
          status: 'ok',
          detail: `${store.file}: ${state.ports.size} port(s), ${state.networks.size} subnet(s), ${state.gpus.size} GPU(s) allocated`,
        },
  );
}

async function portRangeCheck(workspace: Workspace, checks: Check[]): Promise<void> {
  const { from, to } = workspace.settings.ports.range;
  const probe = new HostPortProbe();
  let free = 0;
  const ports = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  for (let i = 0; i < ports.length; i += 100) {
    const answers = await Promise.all(ports.slice(i, i + 100).map((port) => probe.isFree(port)));
    free += answers.filter(Boolean).length;
  }
  checks.push(
    free > 0
      ? { name: 'Port range', status: 'ok', detail: `${from}-${to}: ${free} of ${ports.length} free` }
      : {
          name: 'Port range',
          status: 'fail',
          detail: `${from}-${to}: every port is taken`,
          fix: 'Widen ports.range in workspace.yml, or stop what listens there.',
        },
  );
}

async function gpuChecks(
  engine: DockerEngine | undefined,
  workspace: Workspace | undefined,
  checks: Check[],
): Promise<void> {
  const needing = (workspace?.projects ?? [])
    .filter((project) => project.gpus.kind !== 'none' && !project.gpusOptional)
    .map((project) => project.name);
  const missing: Check['status'] = needing.length ? 'fail' : 'warn';
  const needs = needing.length ? ` (needed by ${needing.join(', ')})` : ' (no listed project needs one)';
  const discovery = await new NvidiaSmiProbe().discover();
  checks.push(
    discovery.available
      ? {
          name: 'NVIDIA driver',
          status: 'ok',
          detail:
            `${discovery.gpus.length} GPU(s): ` +
            `${discovery.gpus.map((gpu) => `${gpu.index} ${gpu.name}${gpu.mig.length ? ` (${gpu.mig.length} MIG)` : ''}`).join(', ')}`,
        }
      : { name: 'NVIDIA driver', status: missing, detail: `${discovery.reason}${needs}`, fix: NO_GPU_FIX },
  );
  if (!engine) return;
  const support = await engine.gpuSupport();
  if (support.supported === 'no')
    checks.push({
      name: 'NVIDIA Container Toolkit',
      status: missing,
      detail: `${support.reason}${needs}`,
      fix: NO_GPU_FIX,
    });
  else if (support.supported === 'yes')
    checks.push({ name: 'NVIDIA Container Toolkit', status: 'ok', detail: 'the engine honours GPU requests' });
  else
    checks.push({
      name: 'NVIDIA Container Toolkit',
      status: 'warn',
      detail: 'cannot tell whether the engine honours GPU requests (a remote engine)',
    });
}
