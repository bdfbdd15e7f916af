import { composeToYaml, MERGED_FILE, writeComposeDir } from '../../compose/write-compose.js';
import { renderWorkspace, type RenderOutcome } from '../../pipeline/render-workspace.js';
import { summarize, type ProjectSummary } from '../../pipeline/summary.js';
import { join, relative } from 'node:path';
import { writeEnvFile } from '../../state/secrets.js';
import { composeDirOf, openWorkspace, realEdges, type GlobalOptions } from '../context.js';
import type { RenderOptions } from '../commands/render.js';
import { color, printJson, table, warn } from '../output.js';

/** envctl render: the pipeline up to compose/ on disk, then the table (or JSON, or the merged file). */
export async function render(globals: GlobalOptions, options: RenderOptions): Promise<void> {
  const workspace = openWorkspace(globals);
  const composeDir = composeDirOf(workspace.root);
  const edges = await realEdges(workspace.root);
  const outcome = await renderWorkspace(workspace, edges, (result) => {
    if (options.check) return;
    persist(composeDir, workspace.settings.name, result, edges.store);
  });
  for (const message of outcome.warnings) warn(message);
  const summary = summarize(workspace, outcome);
  if (options.stdout) process.stdout.write(composeToYaml(outcome.merged));
  else if (options.json) printJson({ workspace: { name: workspace.settings.name, root: workspace.root, composeFile: join(composeDir, MERGED_FILE) }, projects: summary, networks: outcome.networks });
  else printTable(summary, options.check ? null : relative(process.cwd(), join(composeDir, MERGED_FILE)) || MERGED_FILE);
}

function persist(composeDir: string, name: string, outcome: RenderOutcome, store: { write(state: RenderOutcome['state']): void }): void {
  for (const [file, values] of outcome.envFiles) writeEnvFile(file, values);
  writeComposeDir(composeDir, name, outcome.merged, outcome.perProject);
  store.write(outcome.state);
}

function printTable(summary: ProjectSummary[], written: string | null): void {
  const rows = summary.flatMap((project) => {
    const ports = project.ports.length ? project.ports : [null];
    return ports.map((port, index) => [
      index === 0 ? project.project : '',
      port?.service ?? project.services.join(', '),
      port ? `${port.hostIp}:${port.hostPort}->${port.containerPort}/${port.protocol}` : '-',
      port?.url ?? '-',
      index === 0 ? project.gpus : '',
      index === 0 ? project.network.subnet : '',
    ]);
  });
  process.stdout.write(`${table(['PROJECT', 'SERVICE', 'HOST PORT', 'URL', 'GPUS', 'SUBNET'], rows)}\n`);
  if (written && process.stdout.isTTY) process.stdout.write(color.dim(`wrote ${written}\n`));
}
