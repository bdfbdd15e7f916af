import type { ObservedNetwork } from '../../engine/observed.js';
import type { Grant } from '../../model/grant.js';
import { LABEL } from '../../model/labels.js';
import { contains, parseCidr, type Cidr } from '../../util/cidr.js';
import type { BusyBlock } from './allocate-subnets.js';
import type { HostRoute } from './host-routes.js';

/**
 * What already holds addresses: every engine network, and every host route and address. Our own networks
 * are marked with their key, so a network keeps its subnet: Docker names a network's bridge "br-" and the
 * first 12 characters of its id, and the host's routes through that bridge are that network's own.
 */
export function busyBlocks(
  engineNetworks: readonly ObservedNetwork[],
  routes: readonly HostRoute[],
  previous: ReadonlyMap<string, Grant<string>>,
  isOurs: (labels: Record<string, string>) => boolean,
): BusyBlock[] {
  const busy: BusyBlock[] = [];
  const bridgeOwner = new Map<string, string>();
  for (const network of engineNetworks) {
    const ownerKey = isOurs(network.labels) ? network.labels[LABEL.network] : undefined;
    if (ownerKey) bridgeOwner.set(`br-${network.id.slice(0, 12)}`, ownerKey);
    for (const subnet of network.subnets) {
      if (!subnet.includes(':'))
        busy.push({ cidr: parseCidr(subnet), holder: `Docker network ${network.name}`, ownerKey });
    }
  }
  // Without an engine to ask, a bridge route inside a subnet we handed out is taken to be ours.
  const previousOwner = (cidr: Cidr) =>
    [...previous.values()].find((grant) => contains(parseCidr(grant.value), cidr))?.key;
  for (const route of routes) {
    const ownerKey = route.device.startsWith('br-')
      ? (bridgeOwner.get(route.device) ?? previousOwner(route.cidr))
      : undefined;
    busy.push({ cidr: route.cidr, holder: `host route via ${route.device}`, ownerKey });
  }
  return busy;
}
