import type { DockerEngine } from '../../engine/docker-engine.js';
import type { EngineChoice } from '../../pipeline/edges.js';
import { summarize } from '../../pipeline/summary.js';
import { nodeAddresses, swarmDown, swarmGpuRows, swarmRows, swarmUp, type SwarmEvents } from '../../pipeline/swarm.js';
import type { Workspace } from '../../workspace/load.js';
import { printJson, table } from '../output.js';
import { summaryTable } from '../summary-table.js';
import { color, NOTHING_TO_DO, stderrColor, warn } from '../terminal.js';
import { EngineError, ExitCode } from '../../errors/envctl-error.js';

const events: SwarmEvents = {
  change: (project, text) => process.stdout.write(`${project ? `${color.cyan(project)}: ` : ''}${text}\n`),
  warning: warn,
};

/** envctl up on a swarm: deploy as a stack, say what changed, print each URL on the node its task runs on. */
export async function swarmUpAction(
  workspace: Workspace,
  choice: EngineChoice,
  engine: DockerEngine,
  options: { only?: ReadonlySet<string>; dryRun?: boolean; detach?: boolean; watch?: boolean },
): Promise<void> {
  if (options.watch || !options.detach) {
    throw new EngineError('On a swarm, envctl up runs detached: the services keep running on their nodes.', {
      hint: 'Run "envctl up -d"; follow a project with "envctl logs" and see where it runs with "envctl ps".',
    });
  }
  const outcome = await swarmUp(workspace, choice, engine, options, events);
  const { plan } = outcome;
  const changes = plan.create.length + plan.update.length + plan.remove.length;
  if (options.dryRun) {
    for (const spec of plan.create) process.stdout.write(`create service ${spec.name}\n`);
    for (const { spec } of plan.update) process.stdout.write(`update service ${spec.name}\n`);
    for (const service of plan.remove) process.stdout.write(`remove service ${service.name}\n`);
    if (changes === 0) process.stdout.write('Nothing to do.\n');
    return;
  }
  for (const failure of outcome.failures) {
    process.stderr.write(`${stderrColor.red(failure.project)}: ${failure.service} does not run: ${failure.reason}\n`);
    process.exitCode = ExitCode.engine;
  }
  if (changes === 0 && outcome.failures.length === 0) process.stdout.write(NOTHING_TO_DO);
  const failed = new Set(outcome.failures.map((failure) => failure.project));
  const shown = summarize(workspace, outcome.render, nodeAddresses(outcome)).filter(
    (project) => (!options.only || options.only.has(project.project)) && !failed.has(project.project),
  );
  if (shown.length) process.stdout.write(`${summaryTable(shown)}\n`);
}

export async function swarmDownAction(
  engine: DockerEngine,
  root: string,
  only: ReadonlySet<string> | undefined,
): Promise<void> {
  const removed = await swarmDown(engine, root, only, events);
  if (removed === 0) process.stdout.write('Nothing of the workspace was running on the swarm.\n');
}

export async function swarmPsAction(
  engine: DockerEngine,
  root: string,
  secrets: ReadonlyMap<string, Record<string, string>>,
  json: boolean | undefined,
): Promise<void> {
  const rows = await swarmRows(engine, root, secrets);
  if (json) return printJson(rows);
  if (rows.length === 0)
    return void process.stdout.write('Nothing of the workspace runs on the swarm: envctl up -d starts it.\n');
  const cells = rows.map((row) => [
    row.project,
    row.service,
    row.node,
    row.error ? `${row.state} (${row.error})` : row.state,
    row.urls.join(' ') || '-',
    row.gpus.join(',') || '-',
  ]);
  process.stdout.write(`${table(['PROJECT', 'SERVICE', 'NODE', 'STATE', 'URLS', 'GPUS'], cells)}\n`);
}

export async function swarmGpusAction(engine: DockerEngine, json: boolean | undefined): Promise<void> {
  const rows = await swarmGpuRows(engine);
  if (json) return printJson(rows);
  const cells = rows.map((row) => [row.node, row.gpu, row.heldBy ?? 'free']);
  process.stdout.write(`${table(['NODE', 'GPU', 'HELD BY'], cells)}\n`);
}
