import type { Engine } from '../engine/engine.js';
import type { ObservedVolume } from '../engine/observed.js';
import { VOLUME_RELEASE } from '../reconcile/retry-policy.js';
import { REAL_CLOCK, retrying, type Clock } from './swarm-apply.js';
import { attemptAll, type TeardownFailure } from './teardown.js';

/**
 * Removes a node's volumes (down -v on a swarm), each tried again while the task that used it still shuts down
 * there; every one is attempted, and the failures returned.
 */
export function removeNodeVolumes(
  engine: Engine,
  node: string,
  volumes: readonly ObservedVolume[],
  report: (line: string) => void,
  clock: Clock = REAL_CLOCK,
): Promise<TeardownFailure[]> {
  return attemptAll(
    volumes,
    (volume) => `volume ${volume.name} on ${node}`,
    async (volume) => {
      await retrying(VOLUME_RELEASE, clock, () => engine.removeVolume(volume.name));
      report(`removed volume ${volume.name} on ${node}`);
    },
  );
}
