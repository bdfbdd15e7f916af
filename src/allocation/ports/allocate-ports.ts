import { allocate, nextState, type Request } from '../allocate.js';
import { ExhaustedError } from '../../errors/envctl-error.js';
import type { PortRange } from '../../workspace/settings.js';
import type { PortGrant, PortRequest } from './port-request.js';
import type { PortProbe } from './probe.js';
import type { Grant } from '../../model/grant.js';

/** Ports the engine publishes now, with the key of the envctl port that published each, if any. */
export type EnginePorts = ReadonlyMap<number, string | undefined>;

export interface PortAllocationInput {
  requests: readonly PortRequest[];
  previous: ReadonlyMap<string, Grant<number>>;
  range: PortRange;
  probe: PortProbe;
  enginePorts: EnginePorts;
  /**
   * Projects whose every port is among the requests (the listed ones): their earlier grants that are no
   * longer asked for (a renamed service, a removed port) are released. Projects not listed keep theirs.
   */
  listed?: ReadonlySet<string>;
}

export interface PortAllocation {
  grants: PortGrant[];
  /** The full state to keep: this run's grants plus earlier grants of projects not asked for now. */
  state: Map<string, Grant<number>>;
}

/** Candidates: the preferred port, then the rest of the range onward from it, wrapping round. */
export function* portCandidates(preferred: number | undefined, range: PortRange): Generator<number> {
  const inRange = preferred !== undefined && preferred >= range.from && preferred <= range.to;
  if (preferred !== undefined) yield preferred;
  const start = inRange ? preferred + 1 : range.from;
  for (let port = start; port <= range.to; port++) yield port;
  if (inRange) for (let port = range.from; port < preferred; port++) yield port;
}

/**
 * Probes, in parallel, the ports the allocation is most likely to look at: each kept port, and as many
 * candidates from each preferred port as there are requests. The allocation then walks its candidates one
 * at a time but finds them answered; a bind test per port in sequence was most of the time of up.
 */
async function warmProbe(
  requests: readonly PortRequest[],
  previous: ReadonlyMap<string, Grant<number>>,
  range: PortRange,
  probe: PortProbe,
  enginePorts: EnginePorts,
): Promise<void> {
  const likely = new Set<number>();
  for (const grant of previous.values()) likely.add(grant.value);
  for (const preferred of new Set(requests.map((request) => request.preferred))) {
    let taken = 0;
    for (const port of portCandidates(preferred, range)) {
      if (taken++ >= requests.length) break;
      likely.add(port);
    }
  }
  const ports = [...likely].filter((port) => !enginePorts.has(port));
  const protocols = [...new Set(requests.map((request) => request.protocol))];
  const probes = ports.flatMap((port) => protocols.map((protocol) => () => probe.isFree(port, protocol)));
  for (let i = 0; i < probes.length; i += WARM_BATCH)
    await Promise.all(probes.slice(i, i + WARM_BATCH).map((ask) => ask()));
}

/** How many bind tests run at once: enough to overlap them, few enough not to exhaust file descriptors. */
const WARM_BATCH = 64;

export async function allocatePorts(input: PortAllocationInput): Promise<PortAllocation> {
  const { requests, range, probe, enginePorts } = input;
  const asked = new Set(requests.map((request) => request.key));
  const gone = (key: string) => !asked.has(key) && (input.listed?.has(key.split('/')[0]!) ?? false);
  const previous = new Map([...input.previous].filter(([key]) => !gone(key)));
  const protocolOf = new Map(requests.map((request) => [request.key, request.protocol]));
  const reserved = [...previous.values()].filter((grant) => !asked.has(grant.key)).map((grant) => grant.value);
  const policyRequests: Request<number>[] = requests.map((request) => ({
    key: request.key,
    signature: `${request.preferred ?? ''}`,
    candidates: () => portCandidates(request.preferred, range),
  }));
  await warmProbe(requests, previous, range, probe, enginePorts);
  const outcome = await allocate(policyRequests, previous, reserved, {
    conflicts: (a, b) => a === b,
    isAvailable: async (port, key) => {
      if (enginePorts.has(port)) return enginePorts.get(port) === key;
      return probe.isFree(port, protocolOf.get(key) ?? 'tcp');
    },
  });
  if (outcome.unmet.length > 0) {
    throw new ExhaustedError(
      `No free host port for ${outcome.unmet.join(', ')}: every port of the range ${range.from}-${range.to} is taken or listened on.`,
      {
        hint:
          'Widen ports.range in workspace.yml, stop what listens on those ports, or free the ports of projects you no longer use with "envctl ports ' +
          'release <project>".',
      },
    );
  }
  const grants = requests.map((request) => ({ ...request, host: outcome.granted.get(request.key)!.value }));
  // A port stays with a project no longer listed (it may come back); a removed service's port is released.
  return { grants, state: nextState(input.previous, outcome.granted, gone) };
}
