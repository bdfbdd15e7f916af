import type { Engine } from '../engine/engine.js';
import { observe } from '../engine/observed.js';
import { attemptAll, removeNetworks, teardownError } from '../execute/teardown.js';
import { planDown, type DownOptions } from '../reconcile/plan-down.js';

export interface DownReport {
  removed: string[];
  /** Networks left in place because containers envctl did not make use them. */
  keptNetworks: Array<{ name: string; users: number }>;
}

/**
 * envctl down: observe, plan (reconcile/plan-down.ts), then carry it out: every container, network and volume
 * in scope is attempted, a few at a time, and failures are reported together at the end (exit status 3). Found
 * by labels alone, so it works even when which-project no longer parses, and after an interrupted up. Project
 * folders are never touched.
 */
export async function down(
  engine: Engine,
  root: string,
  options: DownOptions,
  report: (line: string) => void,
): Promise<DownReport> {
  const plan = planDown(await observe(engine, root, []), root, options);
  const removed: string[] = [];
  const failures = await attemptAll(
    plan.containers,
    (container) => `container ${container.name}`,
    async (container) => {
      if (container.state === 'running') await engine.stopContainer(container.id);
      await engine.removeContainer(container.id);
      removed.push(container.name);
      report(`removed ${container.name}`);
    },
  );
  const networks = await removeNetworks(plan.networks, engine, (_project, line) => report(line));
  failures.push(...networks.failures);
  failures.push(
    ...(await attemptAll(
      plan.volumes,
      (volume) => `volume ${volume.name}`,
      async (volume) => {
        await engine.removeVolume(volume.name);
        report(`removed volume ${volume.name}`);
      },
    )),
  );
  if (failures.length) throw teardownError(failures);
  return { removed, keptNetworks: networks.kept };
}
