import { mirrorEnvironment } from '../util/mirror-env.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { ServiceSpec } from '../compose/compose-types.js';
import type { Desired } from '../reconcile/desired.js';
import { allRunning, readEngine } from '../engine/engine-snapshot.js';
import { localEngineSocket } from '../engine/engine-socket.js';
import { workspaceInputs } from '../inputs/workspace-inputs.js';
import type { Workspace } from '../workspace/load.js';
import { modifiedMs, signaturesOf } from './file-signature.js';
import { currentHostUser } from '../util/host-user.js';
import { currentBuild } from './build-id.js';
import { hostRoutes, outputSignatures, STAMP_FILE, type UpStamp } from './stamp.js';
import type { RenderOutcome } from '../merge/render-outcome.js';

/**
 * A file changed this close before the up started (or during it) may have been read before the change with
 * the same signature after it, as git's "racily clean" entries: such an up writes no stamp. A second covers
 * the kernel's coarse file clock and filesystems with coarse timestamps.
 */
export const RACY_MARGIN_MS = 1000;

export interface StampSources {
  workspace: Workspace;
  render: RenderOutcome;
  desired: Desired;
  composeDir: string;
  /** When the up began loading the workspace (ms since the epoch). */
  startedAtMs: number;
  /** The summary table as the full path printed it, without and with colour. */
  summaryText: { plain: string; colored: string };
}

/** A full up is about to change things: the stamp of the last one no longer holds. */
export function dropStamp(composeDir: string): void {
  rmSync(join(composeDir, STAMP_FILE), { force: true });
}

/** Writes the stamp after a whole, successful up; returns why it wrote none. */
export async function recordStamp(sources: StampSources): Promise<string | undefined> {
  const build = currentBuild();
  if (!build) return 'envctl runs unbundled';
  const engineSocket = localEngineSocket();
  if (!engineSocket) return 'the engine is not a local socket';
  // A MIG layout can change without a restart: workspaces with GPUs read nvidia-smi on every up.
  if (usesGpus(sources)) return 'the workspace uses GPUs';
  const inputs = signaturesOf(workspaceInputs(sources).paths);
  const racy = Object.keys(inputs).find(
    (path) => (modifiedMs(inputs[path]!) ?? 0) >= sources.startedAtMs - RACY_MARGIN_MS,
  );
  if (racy) return `${racy} changed just before or during this up`;
  const imageReferences = [...new Set(sources.desired.services.map((service) => service.image))].sort();
  const { snapshot: engine, subnets } = await readEngine(engineSocket, sources.workspace.root, imageReferences);
  if (!allRunning(engine)) return 'not every container runs';
  const stamp: UpStamp = {
    format: 1,
    build,
    root: sources.workspace.root,
    engineSocket,
    uid: currentHostUser().uid,
    mirrorEnv: mirrorEnvironment(),
    inputs,
    outputs: outputSignatures(sources.composeDir),
    routes: hostRoutes(subnets),
    imageReferences,
    engine,
    warnings: sources.render.warnings,
    summaryText: sources.summaryText,
  };
  // The summary holds URLs with tokens (Jupyter's): readable by the owner only, as state.json is.
  await writeFileAtomic(join(sources.composeDir, STAMP_FILE), `${JSON.stringify(stamp)}\n`, { mode: 0o600 });
  return undefined;
}

function usesGpus({ workspace, render }: StampSources): boolean {
  if (workspace.projects.some((project) => project.gpus.kind !== 'none')) return true;
  return Object.values(render.merged.services ?? {}).some((service: ServiceSpec) =>
    Boolean(service.deploy?.resources?.reservations?.devices?.length),
  );
}
