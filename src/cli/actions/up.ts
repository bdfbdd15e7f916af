import { LABEL } from '../../compose/workspace-model.js';
import { connectDocker } from '../../engine/docker-engine.js';
import type { Engine } from '../../engine/engine.js';
import type { Plan } from '../../engine/plan.js';
import { InputError } from '../../errors/envctl-error.js';
import { persistRender } from '../../pipeline/persist.js';
import { summarize } from '../../pipeline/summary.js';
import { up } from '../../pipeline/up.js';
import type { Workspace } from '../../workspace/load.js';
import { didYouMean } from '../../util/suggest.js';
import type { UpCommandOptions } from '../commands/engine-commands.js';
import { openWorkspace, realEdges, type GlobalOptions } from '../context.js';
import { color, warn } from '../output.js';
import { formatError, stderrColor } from '../report-error.js';
import { summaryTable } from '../summary-table.js';
import { streamLogs } from './logs.js';

/** envctl up: reconcile the engine with which-project, print the URLs, then follow logs unless -d. */
export async function upAction(globals: GlobalOptions, projects: string[], options: UpCommandOptions): Promise<void> {
  const workspace = openWorkspace(globals);
  const only = selectProjects(workspace, projects);
  const engine = await connectDocker();
  const edges = { ...(await realEdges(workspace.root, engine)), engine };
  const startedAt = Math.floor(Date.now() / 1000);
  const progress = process.stderr.isTTY;
  const outcome = await up(
    workspace,
    edges,
    (result) => persistRender(edges.store, workspace.settings.name, result),
    {
      change: (project, text) => process.stdout.write(`${project ? `${color.cyan(project)}: ` : ''}${text}\n`),
      progress: (project, text) => {
        if (progress) process.stderr.write(stderrColor.dim(`${project} | ${text}\n`));
      },
    },
    { only, build: options.build, dryRun: options.dryRun },
  );
  for (const message of outcome.render.warnings) warn(message);
  if (options.dryRun) return printPlan(outcome.plan);

  const failed = new Set(outcome.result!.failures.map((failure) => failure.project));
  for (const failure of outcome.result!.failures) {
    const { text, exitCode } = formatError(failure.error);
    process.stderr.write(`${stderrColor.red(failure.project)}: nothing of it was left running. ${text}`);
    process.exitCode = Math.max(Number(process.exitCode ?? 0), exitCode);
  }
  if (outcome.result!.changes === 0 && failed.size === 0) process.stdout.write('Nothing to do: the engine already runs what which-project lists.\n');
  const shown = summarize(workspace, outcome.render).filter((project) => (!only || only.has(project.project)) && !failed.has(project.project));
  if (shown.length) process.stdout.write(`${summaryTable(shown)}\n`);
  if (!options.detach && shown.length) await foreground(engine, workspace.root, new Set(shown.map((project) => project.project)), startedAt);
}

function selectProjects(workspace: Workspace, names: string[]): Set<string> | undefined {
  if (names.length === 0) return undefined;
  const listed = workspace.projects.map((project) => project.name);
  for (const name of names) {
    if (!listed.includes(name)) {
      throw new InputError(`Project "${name}" is not in which-project.`, {
        location: { file: 'which-project' },
        hint: `${didYouMean(name, listed)}Listed projects: ${listed.join(', ') || '(none)'}. which-project is what runs: add the project there first.`,
      });
    }
  }
  return new Set(names);
}

/** Follows the projects' logs until they stop or the user presses Ctrl+C: once stops, twice kills. */
async function foreground(engine: Engine, root: string, projects: ReadonlySet<string>, since: number): Promise<void> {
  const containers = (await engine.containers(LABEL.root, root)).filter((container) => projects.has(container.labels[LABEL.project] ?? ''));
  const streams = await streamLogs(engine, containers, { follow: true, since });
  let presses = 0;
  let stopping: Promise<unknown> = Promise.resolve();
  const interrupted = new Promise<void>((resolve) => {
    const onSignal = () => {
      presses += 1;
      if (presses === 1) {
        process.stderr.write('Stopping (press Ctrl+C again to kill)...\n');
        stopping = Promise.all(containers.map((container) => engine.stopContainer(container.id)));
      } else {
        stopping = Promise.all(containers.map((container) => engine.killContainer(container.id)));
      }
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  // The logs end when the containers stop, by themselves or because of Ctrl+C; either way wait for the stop.
  await Promise.race([interrupted, Promise.all(streams.map((stream) => stream.done))]);
  await stopping;
  for (const stream of streams) stream.stop();
  if (presses > 0) process.stdout.write(`Stopped ${containers.length} container${containers.length === 1 ? '' : 's'}.\n`);
  process.exit(presses > 0 ? 130 : Number(process.exitCode ?? 0));
}

function printPlan(plan: Plan): void {
  const lines: string[] = [];
  for (const { container, reason } of plan.removeContainers) lines.push(`remove ${container.name}: ${reason}`);
  for (const network of plan.recreateNetworks) lines.push(`recreate network ${network.name}: its settings changed`);
  for (const network of plan.createNetworks) lines.push(`create network ${network.name}`);
  for (const volume of plan.createVolumes) lines.push(`create volume ${volume.name}`);
  for (const [project, projectPlan] of plan.projects) {
    for (const step of projectPlan.images) lines.push(`${project}: ${step.kind} ${step.service.image}: ${step.reason}`);
    for (const step of projectPlan.levels.flat()) {
      if (step.kind !== 'keep') lines.push(`${project}: ${step.kind} ${step.service.containerName}: ${step.reason}`);
    }
  }
  for (const { network, reason } of plan.removeNetworks) lines.push(`remove network ${network.name}: ${reason}`);
  process.stdout.write(lines.length ? `${lines.join('\n')}\n` : 'Nothing to do.\n');
}
