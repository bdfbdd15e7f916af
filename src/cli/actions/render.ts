import { join, relative } from 'node:path';
import { composeToYaml, MERGED_FILE } from '../../merge/write-compose.js';
import { persistRender } from '../../pipeline/persist.js';
import { renderWorkspace } from '../../pipeline/render-workspace.js';
import { desiredOf } from '../../pipeline/desired-of.js';
import { summarize } from '../../pipeline/summary.js';
import { composeDirOf, engineChoice, openWorkspace, realEdges } from '../../pipeline/edges.js';
import type { GlobalOptions } from '../context.js';
import { printJson } from '../output.js';
import { color, warn } from '../terminal.js';
import { summaryTable } from '../summary-table.js';
import type { RenderOutcome } from '../../merge/render-outcome.js';

export interface RenderOptions {
  json?: boolean;
  stdout?: boolean;
  check?: boolean;
}

/** envctl render: the pipeline up to compose/ on disk, then the table (or JSON, or the merged file). */
export async function render(globals: GlobalOptions, options: RenderOptions): Promise<void> {
  const workspace = openWorkspace(globals.workspace);
  const composeDir = composeDirOf(workspace.root);
  const edges = await realEdges(workspace, engineChoice(workspace.settings, globals.engine));
  const check = (result: RenderOutcome) => void desiredOf(workspace, composeDir, result, edges.bindSource);
  const outcome = await renderWorkspace(
    workspace,
    edges,
    (result) => {
      if (!options.check) persistRender(edges.store, workspace.settings.name, result);
    },
    { check },
  );
  for (const message of outcome.warnings) warn(message);
  const summary = summarize(workspace, outcome);
  const mergedFile = join(composeDir, MERGED_FILE);
  if (options.stdout) process.stdout.write(composeToYaml(outcome.merged));
  else if (options.json)
    printJson({
      workspace: { name: workspace.settings.name, root: workspace.root, composeFile: mergedFile },
      projects: summary,
      networks: outcome.networks,
    });
  else {
    process.stdout.write(`${summaryTable(summary)}\n`);
    if (!options.check && process.stdout.isTTY)
      process.stdout.write(color.dim(`wrote ${relative(process.cwd(), mergedFile) || MERGED_FILE}\n`));
  }
}
