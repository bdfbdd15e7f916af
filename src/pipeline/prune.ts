import type { EngineChoice } from './edges.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DiskUsage, Engine } from '../engine/engine.js';
import { attemptAll, teardownError } from '../execute/teardown.js';
import { planPrune, type ListedProjects, type PrunePlan } from '../reconcile/plan-prune.js';
import { WHICH_PROJECT } from '../workspace/root.js';
import { listedNames } from '../workspace/which-project.js';
import { formatBytes } from '../util/units.js';

export interface PruneSurvey {
  plan: PrunePlan;
  usage: DiskUsage;
}

/**
 * What envctl prune would remove: the images no which-project wants and the build cache. `judged` says whose
 * images this machine may judge: every workspace's on a local engine; on a shared one (a server, over SSH or
 * TCP) only this workspace's, since another machine's workspaces are not on this disk to read.
 */
/**
 * Whose which-project prune may read: on this machine's engine every workspace's, whose folders are here; on
 * another machine's (SSH, TCP, a swarm's manager) only this workspace's, the others being there.
 */
export function judgedHere(choice: EngineChoice & { root: string | undefined }): (root: string) => boolean {
  const local = choice.target.kind === 'unix';
  return (labelled) => local || labelled === choice.root;
}

export async function surveyPrune(engine: Engine, judged: (root: string) => boolean): Promise<PruneSurvey> {
  const [builds, usage] = await Promise.all([engine.builds(), engine.diskUsage()]);
  const listed = (root: string): ListedProjects =>
    judged(root) ? whichProjectAt(root) : { kind: 'unreadable', reason: 'another machine’s workspace' };
  return { plan: planPrune(builds, listed), usage };
}

/** Removes what the survey found; resolves to the bytes the engine's disk gained (layers and cache). */
export async function prune(engine: Engine, survey: PruneSurvey, report: (line: string) => void): Promise<number> {
  const failures = await attemptAll(
    survey.plan.images,
    (image) => `image ${image.tags[0] ?? image.id}`,
    async (image) => {
      await engine.removeImage(image.id);
      report(`removed image ${image.tags.join(', ') || image.id.slice(0, 19)} (${image.reason})`);
    },
  );
  const cacheFreed = await engine.pruneBuildCache();
  report(`removed the build cache (${formatBytes(cacheFreed)})`);
  const after = await engine.diskUsage();
  if (failures.length) throw teardownError(failures);
  return Math.max(0, survey.usage.layers - after.layers) + cacheFreed;
}

function whichProjectAt(root: string): ListedProjects {
  const file = join(root, WHICH_PROJECT);
  if (!existsSync(file)) return { kind: 'gone' };
  try {
    return { kind: 'listed', projects: new Set(listedNames(readFileSync(file, 'utf8'))) };
  } catch (error) {
    return { kind: 'unreadable', reason: (error as Error).message };
  }
}
