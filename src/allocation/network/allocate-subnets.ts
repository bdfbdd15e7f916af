import { allocate, nextState } from '../allocate.js';
import { ExhaustedError } from '../../errors/envctl-error.js';
import { blocksOf, contains, formatCidr, gatewayOf, overlaps, parseCidr, type Cidr } from '../../util/cidr.js';
import type { Grant } from '../../model/grant.js';

/** A network envctl will create and the size it needs. */
export interface NetworkRequest {
  key: string;
  /** The network's name on the engine. */
  name: string;
  prefix: number;
}

export interface NetworkGrant extends NetworkRequest {
  subnet: string;
  gateway: string;
}

/** A block someone else holds, with who, for the error message. */
export interface BusyBlock {
  cidr: Cidr;
  holder: string;
  /** The envctl network key that holds it, when it is this workspace's own network. */
  ownerKey?: string | undefined;
}

export interface SubnetAllocationInput {
  requests: readonly NetworkRequest[];
  previous: ReadonlyMap<string, Grant<string>>;
  range: string;
  busy: readonly BusyBlock[];
}

export async function allocateSubnets(
  input: SubnetAllocationInput,
): Promise<{ grants: NetworkGrant[]; state: Map<string, Grant<string>> }> {
  const range = parseCidr(input.range);
  const asked = new Set(input.requests.map((request) => request.key));
  // A project that left keeps its block only while it is not needed: networks are cheap to move.
  const outcome = await allocate<string>(
    input.requests.map((request) => ({
      key: request.key,
      signature: '',
      candidates: () => [...blocksOf(range, request.prefix)].map(formatCidr),
    })),
    input.previous,
    [],
    {
      conflicts: (a, b) => overlaps(parseCidr(a), parseCidr(b)),
      stillFits: (value, request) => {
        const wanted = input.requests.find((r) => r.key === request.key)!;
        const cidr = parseCidr(value);
        return cidr.prefix <= wanted.prefix && contains(range, cidr);
      },
      isAvailable: (value, key) => {
        const cidr = parseCidr(value);
        return !input.busy.some((block) => block.ownerKey !== key && overlaps(block.cidr, cidr));
      },
    },
  );
  if (outcome.unmet.length > 0) {
    throw new ExhaustedError(
      `No free address block for network ${outcome.unmet.join(', ')} in networks.range ${input.range}: it is used up by this workspace's networks, ` +
        `other Docker networks or the host's routes.`,
      {
        hint:
          `Set a larger or different networks.range in workspace.yml (any private IPv4 block the host does not route, e.g. "10.214.0.0/16"), or a ` +
          `smaller networks.project_prefix.`,
      },
    );
  }
  const grants = input.requests.map((request) => {
    const subnet = outcome.granted.get(request.key)!.value;
    const cidr = parseCidr(subnet);
    return { ...request, subnet, gateway: gatewayOf(cidr) };
  });
  return { grants, state: nextState(input.previous, outcome.granted, (key) => asked.has(key)) };
}
