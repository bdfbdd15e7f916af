import { writeComposeDir } from '../merge/write-compose.js';
import { writeEnvFile } from '../state/secrets.js';
import type { StateStore } from '../state/state-store.js';
import type { RenderOutcome } from '../merge/render-outcome.js';

/** Writes what render decided: secrets env files, compose/ and the allocation state. */
export function persistRender(store: StateStore, projectName: string, outcome: RenderOutcome): void {
  for (const [file, values] of outcome.envFiles) writeEnvFile(file, values);
  writeComposeDir(store.composeDir, projectName, outcome.merged, outcome.perProject);
  store.write(outcome.state);
}
