import { NetworkInUseError, StaleEndpointError } from './engine-errors.js';
import { hasActiveEndpoints } from './engine-messages.js';

/**
 * dockerd can refuse to remove a network "with active endpoints" for a moment after its last container went
 * (envctl removes containers in parallel), and sometimes keeps such a stale endpoint until it restarts. A
 * network containers still use is NetworkInUseError at once; otherwise wait and try again, then
 * StaleEndpointError, which says what clears it.
 */
export async function removeOnceEndpointsGo(
  name: string,
  remove: () => Promise<void>,
  users: () => Promise<number>,
  delaysMs: readonly number[] = [200, 500, 1000],
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await remove();
    } catch (error) {
      if (!hasActiveEndpoints(error)) throw error;
      const inUse = await users();
      if (inUse > 0) throw new NetworkInUseError(name, inUse);
      const delay = delaysMs[attempt];
      if (delay === undefined) throw new StaleEndpointError(name, error);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
