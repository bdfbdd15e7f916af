import { removeStaleFragments, writeComposeDir } from '../merge/write-compose.js';
import { writeEnvFile } from '../state/secrets.js';
import type { StateStore } from '../state/state-store.js';
import type { RenderOutcome } from '../merge/render-outcome.js';
import { FileBatch } from '../util/file-batch.js';

/**
 * Writes what render decided, all of it or none: secrets env files, compose/ and the allocation state. A disk
 * that fills up or a folder that cannot be written leaves the previous files as they were.
 */
export function persistRender(store: StateStore, projectName: string, outcome: RenderOutcome): void {
  const batch = new FileBatch();
  for (const [file, values] of outcome.envFiles) writeEnvFile(file, values, batch.write);
  writeComposeDir(store.composeDir, projectName, outcome.merged, outcome.perProject, batch.write);
  store.write(outcome.state, batch.write);
  batch.commit();
  removeStaleFragments(store.composeDir, outcome.perProject);
}
