import { NetworkInUseError, StaleEndpointError } from './engine-errors.js';
import { hasActiveEndpoints } from './engine-messages.js';

/**
 * dockerd sometimes keeps a stale endpoint until it restarts. A network containers still use is
 * NetworkInUseError at once; otherwise wait each of `delaysMs` and try again, then StaleEndpointError, which
 * says what clears it.
 */
export async function removeOnceEndpointsGo(
  name: string,
  remove: () => Promise<void>,
  users: () => Promise<number>,
  delaysMs: readonly number[],
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
