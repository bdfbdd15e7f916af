import { rmSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { ServiceSpec } from '../compose/compose-types.js';
import { buildInputPaths } from '../engine/build-hash.js';
import { envFileEntries, type Desired } from '../engine/desired.js';
import { allRunning, readEngine } from '../engine/engine-snapshot.js';
import { localEngineSocket } from '../engine/engine-socket.js';
import type { RenderOutcome } from '../pipeline/render-workspace.js';
import { TEMPLATE_FILE } from '../templates/template-schema.js';
import type { Workspace } from '../workspace/load.js';
import { PROJECT_COMPOSE, PROJECT_CONFIG } from '../workspace/project-config.js';
import { WHICH_PROJECT } from '../workspace/root.js';
import { SETTINGS_FILE } from '../workspace/settings.js';
import { modifiedMs, signaturesOf } from './file-signature.js';
import { currentBuild } from './build-id.js';
import { hostRoutes, outputSignatures, STAMP_FILE, type UpStamp } from './stamp.js';

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
  const inputs = signaturesOf(inputPaths(sources));
  const racy = Object.keys(inputs).find((path) => (modifiedMs(inputs[path]!) ?? 0) >= sources.startedAtMs - RACY_MARGIN_MS);
  if (racy) return `${racy} changed just before or during this up`;
  const imageReferences = [...new Set(sources.desired.services.map((service) => service.image))].sort();
  const { snapshot: engine, subnets } = await readEngine(engineSocket, sources.workspace.root, imageReferences);
  if (!allRunning(engine)) return 'not every container runs';
  const stamp: UpStamp = {
    format: 1,
    build,
    root: sources.workspace.root,
    engineSocket,
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

/**
 * Every path render read or looked for outside compose/: which-project, workspace.yml, each listed project's
 * envctl.yml and compose.yml, its template as each template folder resolves it, its env files, and the files
 * (and folders) its images are built from. Paths that did not exist count: creating one changes the render.
 */
export function inputPaths({ workspace, render, desired, composeDir }: StampSources): string[] {
  const paths = [join(workspace.root, WHICH_PROJECT), join(workspace.root, SETTINGS_FILE)];
  for (const project of workspace.projects) {
    paths.push(join(project.dir, PROJECT_CONFIG), join(project.dir, PROJECT_COMPOSE));
    if (!project.template) continue;
    for (const dir of workspace.templateDirs) paths.push(join(dir, project.template.name, TEMPLATE_FILE));
    paths.push(join(project.template.dir, project.template.declaration.compose));
  }
  for (const service of Object.values(render.merged.services ?? {})) paths.push(...envFileEntries(service).map((entry) => entry.path));
  for (const { build } of desired.services) if (build) paths.push(...(build.inputPaths ?? buildInputPaths(build)));
  // compose/ is envctl's own output, kept apart: see outputSignatures.
  return paths.filter((path) => !path.startsWith(`${composeDir}/`));
}

function usesGpus({ workspace, render }: StampSources): boolean {
  if (workspace.projects.some((project) => project.gpus.kind !== 'none')) return true;
  return Object.values(render.merged.services ?? {}).some((service: ServiceSpec) => Boolean(service.deploy?.resources?.reservations?.devices?.length));
}
