import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MERGED_FILE } from '../merge/write-compose.js';
import { envFileEntries } from '../compose/short-syntax.js';
import { desiredState, type Desired } from '../reconcile/desired.js';
import { parseEnvFile } from '../state/secrets.js';
import type { Workspace } from '../workspace/load.js';
import type { RenderOutcome } from '../merge/render-outcome.js';

/**
 * The engine's desired state of a rendered workspace; reads the user's env files. render --check runs it too,
 * so that render and up refuse the same things.
 */
export function desiredOf(
  workspace: Workspace,
  composeDir: string,
  render: RenderOutcome,
  bindSource?: (path: string) => string,
): Desired {
  return desiredState(render.merged, {
    bindSource,
    projectName: workspace.settings.name,
    root: workspace.root,
    composeDir,
    configFile: join(composeDir, MERGED_FILE),
    envFiles: envFileValues(render),
  });
}

/**
 * The variables of every env file the services name: the generated secrets as render decided them (so a dry
 * run needs nothing on disk), the user's own files read from disk where they exist (desiredState refuses a
 * missing required one, as Compose does).
 */
function envFileValues(render: RenderOutcome): Map<string, Record<string, string>> {
  const values = new Map(render.envFiles);
  for (const service of Object.values(render.merged.services ?? {})) {
    for (const { path } of envFileEntries(service)) {
      if (!values.has(path) && existsSync(path)) values.set(path, parseEnvFile(readFileSync(path, 'utf8')));
    }
  }
  return values;
}
