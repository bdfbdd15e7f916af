import { mirrorEnvironment } from '../util/mirror-env.js';
import { join } from 'node:path';
import { readEngine } from '../engine/engine-snapshot.js';
import { localEngineSocket } from '../engine/engine-socket.js';
import { currentHostUser } from '../util/host-user.js';
import { currentBuild } from './build-id.js';
import { engineDifference, filesDifference, hostRoutes, outputSignatures, readStamp, type UpStamp } from './stamp.js';

/** The no-op up's answer: what the last whole up printed, or why the full path must run. */
export type FastPathAnswer = { unchanged: Pick<UpStamp, 'warnings' | 'summaryText'> } | { fullPath: string };

/**
 * Whether `up -d` in the workspace at `root` would change nothing, from compose/up-stamp.json: the signatures of
 * the files render read and wrote, and one round of Engine API calls, instead of loading, rendering and
 * planning. Anything that differs or is in doubt sends up down its full path, which is always right.
 */
export async function fastPath(root: string): Promise<FastPathAnswer> {
  const composeDir = join(root, 'compose');
  const stamp = readStamp(composeDir);
  if (!stamp || stamp.root !== root) return { fullPath: 'no stamp of a whole up' };
  const engineSocket = localEngineSocket();
  const files = filesDifference(stamp, {
    build: currentBuild(),
    engineSocket,
    uid: currentHostUser().uid,
    mirrorEnv: mirrorEnvironment(),
    outputs: outputSignatures(composeDir),
  });
  if (files) return { fullPath: files };
  try {
    const { snapshot, subnets } = await readEngine(engineSocket!, root, stamp.imageReferences);
    const engine = engineDifference(stamp, snapshot, hostRoutes(subnets));
    if (engine) return { fullPath: engine };
  } catch (error) {
    // The full path reports an engine that does not answer properly.
    return { fullPath: `the engine: ${(error as Error).message}` };
  }
  return { unchanged: stamp };
}
