import { NO_GPU_FIX } from '../allocation/gpu/allocate-gpus.js';
import { NvidiaSmiProbe } from '../allocation/gpu/probe.js';
import { HostPortProbe, RemotePortProbe } from '../allocation/ports/probe.js';
import type { DockerEngine } from '../engine/docker-engine.js';
import { NO_ENGINE } from '../engine/engine-view.js';
import type { SshHost } from '../engine/ssh-host.js';
import { formatLocation, type EnvctlError } from '../errors/envctl-error.js';
import { DOTFILES_INSTALL_SCRIPTS } from '../render/dotfiles.js';
import { readdirSync } from 'node:fs';
import type { Workspace } from '../workspace/load.js';
import { describeMirrors } from '../workspace/mirrors.js';
import { formatBytes } from '../util/units.js';
import {
  connectEngineOf,
  engineChoice,
  engineChoiceHere,
  openWorkspace,
  realEdges,
  storeOf,
  type EngineChoice,
} from './edges.js';
import type { Check } from './doctor-check.js';
import { deploymentOf } from './deployments.js';
import { renderWorkspace } from './render-workspace.js';

export type { Check };

/** Each thing envctl needs, whether it has it, and the fix: the work of envctl doctor. */
export async function doctorChecks(
  workspaceOption: string | undefined,
  engineOption: string | undefined,
): Promise<Check[]> {
  const checks: Check[] = [nodeCheck()];
  const choice = chooseEngine(workspaceOption, engineOption, checks);
  const reached = choice.ssh ? await sshCheck(choice.ssh, checks) : true;
  const engine = reached ? await engineCheck(choice, checks) : undefined;
  const deployment = await deploymentOf(choice);
  if (engine) await deployment.doctorChecks(engine, checks);
  if (engine) await diskCheck(engine, checks);
  const workspace = reached ? await workspaceCheck(workspaceOption, choice, engine, checks) : undefined;
  if (workspace) {
    stateCheck(workspace, choice, checks);
    checks.push(dotfilesCheck(workspace));
    checks.push(...(await mirrorChecks(workspace)));
    await portRangeCheck(workspace, choice, checks);
  }
  if (choice.ssh && reached) await syncToolCheck(choice.ssh, checks);
  if (reached && deployment.gpusOfEngine) await gpuChecks(engine, workspace, choice, checks);
  return checks;
}

/** The engine the workspace names; a workspace.yml that cannot be read leaves the default (and says so later). */
function chooseEngine(
  workspaceOption: string | undefined,
  engineOption: string | undefined,
  checks: Check[],
): EngineChoice {
  try {
    return engineChoiceHere(workspaceOption, engineOption, true);
  } catch (error) {
    const failure = error as EnvctlError;
    checks.push({ name: 'Engine address', status: 'fail', detail: failure.message, fix: failure.hint });
    return engineChoice(undefined, undefined);
  }
}

/** Above this, the build cache is worth a warning: a few rebuilt PyTorch images hold as much. */
const BIG_BUILD_CACHE = 20e9;

/** What the engine's disk holds for builds: the cache grows with every rebuild until envctl prune. */
async function diskCheck(engine: DockerEngine, checks: Check[]): Promise<void> {
  try {
    const usage = await engine.diskUsage();
    checks.push({
      name: 'Build cache',
      status: usage.buildCache > BIG_BUILD_CACHE ? 'warn' : 'ok',
      detail:
        `${formatBytes(usage.buildCache)}, of it ${formatBytes(usage.cacheMounts)} of package downloads ` +
        `(pip, conda); images ${formatBytes(usage.layers)}`,
      fix: 'envctl prune removes the build cache and the images of projects no which-project lists (it asks first).',
    });
  } catch (error) {
    checks.push({ name: 'Build cache', status: 'warn', detail: `the engine did not say: ${(error as Error).message}` });
  }
}

/** The SSH path to a server: host key known, a key accepted, without a prompt. */
async function sshCheck(ssh: SshHost, checks: Check[]): Promise<boolean> {
  try {
    await ssh.connect();
    checks.push({
      name: 'SSH',
      status: 'ok',
      detail: `${ssh.destination}: host key known, key accepted (one shared connection)`,
    });
    return true;
  } catch (error) {
    const failure = error as EnvctlError;
    checks.push({ name: 'SSH', status: 'fail', detail: failure.message, fix: failure.hint });
    return false;
  }
}

/** unison on both ends, the same version: envctl syncs the project folders with it. */
async function syncToolCheck(ssh: SshHost, checks: Check[]): Promise<void> {
  const { execa } = await import('execa');
  const local = await execa('unison', ['-version'], { reject: false });
  const remote = await ssh.run('unison -version');
  const version = (text: string) => /unison version (\d+\.\d+)/.exec(text)?.[1];
  const here = local.exitCode === 0 ? version(String(local.stdout)) : undefined;
  const there = remote.exitCode === 0 ? version(remote.stdout) : undefined;
  const fix = `Install unison on both machines (sudo apt install unison), the same version on each.`;
  if (!here || !there) {
    const missing = [!here ? 'this machine' : '', !there ? ssh.hostName : ''].filter(Boolean).join(' and ');
    checks.push({ name: 'Sync (unison)', status: 'fail', detail: `unison is not installed on ${missing}`, fix });
  } else if (here !== there) {
    checks.push({
      name: 'Sync (unison)',
      status: 'fail',
      detail: `unison ${here} here, ${there} on ${ssh.hostName}: they do not talk to each other`,
      fix,
    });
  } else {
    checks.push({ name: 'Sync (unison)', status: 'ok', detail: `unison ${here} here and on ${ssh.hostName}` });
  }
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

async function engineCheck(choice: EngineChoice, checks: Check[]): Promise<DockerEngine | undefined> {
  try {
    const engine = await connectEngineOf(choice, 3000);
    const { version, apiVersion } = await engine.version();
    const remote = choice.ssh ? await choice.ssh.findEngine() : undefined;
    const there = remote ? `; on ${choice.ssh!.hostName}: ${remote.endpoint}, found by ${remote.foundBy}` : '';
    checks.push({
      name: 'Docker Engine',
      status: 'ok',
      detail: `${version} (API ${apiVersion}) at ${engine.address}${there}`,
    });
    return engine;
  } catch (error) {
    const failure = error as EnvctlError;
    checks.push({ name: 'Docker Engine', status: 'fail', detail: failure.message, fix: failure.hint });
    return undefined;
  }
}

async function workspaceCheck(
  workspaceOption: string | undefined,
  choice: EngineChoice,
  engine: DockerEngine | undefined,
  checks: Check[],
): Promise<Workspace | undefined> {
  try {
    const workspace = openWorkspace(workspaceOption);
    const edges = await realEdges(workspace, choice, engine ?? NO_ENGINE);
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

/** The package mirrors builds install through, and whether each index answers from this machine. */
async function mirrorChecks(workspace: Workspace): Promise<Check[]> {
  const { mirrors } = workspace.settings;
  const lines = describeMirrors(mirrors);
  if (lines.length === 0)
    return [
      {
        name: 'Package mirrors',
        status: 'ok',
        detail:
          'none: builds install from PyPI and the conda channels (pip: and conda: in workspace.yml name a mirror)',
      },
    ];
  const from = mirrors.pipSource === 'environment' ? " (pip's PIP_* variables in this shell)" : ' (workspace.yml)';
  const checks: Check[] = [{ name: 'Package mirrors', status: 'ok', detail: `${lines.join('; ')}${from}` }];
  const indexes = [mirrors.pip.indexUrl, ...mirrors.pip.extraIndexUrls].filter((url): url is string => Boolean(url));
  const channels = mirrors.conda.channels.filter((channel) => /^https?:\/\//.test(channel));
  for (const url of [...indexes, ...channels.map((channel) => `${channel.replace(/\/+$/, '')}/noarch/repodata.json`)]) {
    const status = await httpStatus(url);
    checks.push(
      status !== undefined && status < 400
        ? { name: 'Package index', status: 'ok', detail: `${url} answers (HTTP ${status})` }
        : {
            name: 'Package index',
            status: 'fail',
            detail: `${url} ${status === undefined ? 'does not answer' : `answers HTTP ${status}`} from this machine`,
            fix: 'Check the address in workspace.yml (or PIP_INDEX_URL), and that the mirror runs; builds reach it from the engine.',
          },
    );
  }
  return checks;
}

async function httpStatus(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    await response.body?.cancel();
    return response.status;
  } catch {
    return undefined;
  }
}

function stateCheck(workspace: Workspace, choice: EngineChoice, checks: Check[]): void {
  const store = storeOf(workspace.root, choice);
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

async function portRangeCheck(workspace: Workspace, choice: EngineChoice, checks: Check[]): Promise<void> {
  const { from, to } = workspace.settings.ports.range;
  const probe = choice.ssh ? new RemotePortProbe(choice.ssh) : new HostPortProbe();
  const where = choice.ssh ? ` on ${choice.ssh.hostName}` : '';
  let free = 0;
  const ports = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  for (let i = 0; i < ports.length; i += 100) {
    const answers = await Promise.all(ports.slice(i, i + 100).map((port) => probe.isFree(port)));
    free += answers.filter(Boolean).length;
  }
  checks.push(
    free > 0
      ? { name: 'Port range', status: 'ok', detail: `${from}-${to}: ${free} of ${ports.length} free${where}` }
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
  choice: EngineChoice,
  checks: Check[],
): Promise<void> {
  const needing = (workspace?.projects ?? [])
    .filter((project) => project.gpus.kind !== 'none' && !project.gpusOptional)
    .map((project) => project.name);
  const missing: Check['status'] = needing.length ? 'fail' : 'warn';
  const needs = needing.length ? ` (needed by ${needing.join(', ')})` : ' (no listed project needs one)';
  const discovery = await (choice.ssh ? new NvidiaSmiProbe(choice.ssh) : new NvidiaSmiProbe()).discover();
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
