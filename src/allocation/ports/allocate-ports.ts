import { allocate, nextState, type Request } from '../allocate.js';
import { ExhaustedError, InputError } from '../../errors/envctl-error.js';
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
  /** Whether workspace.yml sets the range: then it bounds preferred ports too. */
  rangeSet?: boolean;
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
  /** Each port given this run other than the preferred, and why: "8888 is in use by another process: lab gets 8890". */
  notices: string[];
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
  const { range, probe, enginePorts } = input;
  const requests = input.requests.map((request) => withinRange(request, input));
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
  const available = async (port: number, key: string) => {
    // A port published by a container this up removes (a renamed or dropped service) is free once it is gone.
    if (enginePorts.has(port)) return enginePorts.get(port) === key || gone(enginePorts.get(port) ?? '');
    return probe.isFree(port, protocolOf.get(key) ?? 'tcp');
  };
  const outcome = await allocate(policyRequests, previous, reserved, {
    conflicts: (a, b) => a === b,
    isAvailable: available,
    // A range written since a grant was made takes back the ports outside it.
    stillFits: (port) => !input.rangeSet || inRange(port, range),
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
  const notices = await movedPorts(input, grants, previous, available, outcome.granted);
  // A port stays with a project no longer listed (it may come back); a removed service's port is released.
  return { grants, state: nextState(input.previous, outcome.granted, gone), notices };
}

function inRange(port: number, range: PortRange): boolean {
  return port >= range.from && port <= range.to;
}

/**
 * Where workspace.yml sets ports.range, it bounds every host port: a port the user wrote outside it is
 * refused at its line; a template's default outside it gives way to one of the range (said by movedPorts).
 */
function withinRange(request: PortRequest, input: PortAllocationInput): PortRequest & { outside?: number } {
  const { preferred, writtenAt } = request;
  if (!input.rangeSet || preferred === undefined || inRange(preferred, input.range)) return request;
  const { from, to } = input.range;
  if (writtenAt) {
    throw new InputError(
      `${writtenAt.file}:${writtenAt.line}: host port ${preferred} is outside ports.range ${from}-${to} of workspace.yml.`,
      {
        location: writtenAt,
        hint: `Choose a port from ${from} to ${to}, widen ports.range in workspace.yml, or remove the port and let envctl pick one.`,
      },
    );
  }
  return { ...request, preferred: undefined, outside: preferred };
}

/**
 * "8888 is in use by another process: intro-ml gets 8890", for each port given this run that is not the one
 * preferred: said once, when it is given (a kept port is not news).
 */
async function movedPorts(
  input: PortAllocationInput,
  grants: ReadonlyArray<PortGrant & { outside?: number }>,
  previous: ReadonlyMap<string, Grant<number>>,
  available: (port: number, key: string) => Promise<boolean>,
  granted: Map<string, Grant<number>>,
): Promise<string[]> {
  const notices: string[] = [];
  for (const grant of grants) {
    const wanted = grant.outside ?? grant.preferred;
    const kept = previous.get(grant.key);
    if (wanted === undefined || wanted === grant.host) continue;
    // A kept port is not news: its note stays for envctl ports.
    const note =
      kept?.value === grant.host
        ? kept.note
        : `${wanted} ${await whyNot(wanted, grant, input, grants, previous, available)}`;
    if (note) granted.set(grant.key, { ...granted.get(grant.key)!, note });
    if (kept?.value === grant.host) continue;
    const single = grants.filter((other) => other.project === grant.project).length === 1;
    notices.push(`${note}: ${single ? grant.project : `${grant.project} (${grant.name})`} gets ${grant.host}`);
  }
  return notices;
}

async function whyNot(
  port: number,
  grant: PortGrant & { outside?: number },
  input: PortAllocationInput,
  grants: readonly PortGrant[],
  previous: ReadonlyMap<string, Grant<number>>,
  available: (port: number, key: string) => Promise<boolean>,
): Promise<string> {
  if (grant.outside !== undefined) return `is outside ports.range ${input.range.from}-${input.range.to}`;
  const holder = grants.find((other) => other.host === port) ?? [...previous.values()].find((g) => g.value === port);
  if (holder) return `is kept for ${holder.key.split('/').slice(0, 2).join('/')}`;
  if (input.enginePorts.has(port)) {
    const owner = input.enginePorts.get(port);
    return owner ? `is published by ${owner.split('/').slice(0, 2).join('/')}` : 'is published by another container';
  }
  return (await available(port, grant.key)) ? 'was taken' : 'is in use by another process';
}
