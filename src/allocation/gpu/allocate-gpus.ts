import { allocate, nextState } from '../allocate.js';
import { ExhaustedError, InputError, type SourceLocation } from '../../errors/envctl-error.js';
import { didYouMean } from '../../util/suggest.js';
import { loadOf, unitsOf, type Gpu, type GpuUnit } from './inventory.js';
import type { GpuRequest } from '../../model/gpu-request.js';
import type { Grant } from '../../model/grant.js';

export type GpuSharing = 'exclusive' | 'shared';

/** What one project asks of the GPUs, with what to do when there are none. */
export interface GpuNeed {
  project: string;
  request: GpuRequest;
  sharing: GpuSharing;
  optional: boolean;
  location: SourceLocation | undefined;
}

/** What a project gets: the engine's reservation is rendered from it. */
export type GpuAssignment =
  | { kind: 'none'; skipped?: string }
  | { kind: 'all' }
  | { kind: 'ids'; ids: string[]; sharing: GpuSharing }
  /** Only when the machine's GPUs could not be read and nothing is enforced (render): the request as written. */
  | { kind: 'count'; count: number };

/** A unit someone else holds exclusively: another workspace's running container, seen by its labels. */
export interface GpuHolder {
  unit: string;
  who: string;
}

export interface GpuAllocationInput {
  needs: readonly GpuNeed[];
  /** The machine's GPUs, or why they could not be read. */
  discovery: { available: true; gpus: Gpu[] } | { available: false; reason: string };
  holders: readonly GpuHolder[];
  previous: ReadonlyMap<string, Grant<string>>;
  /** up enforces: a project that needs a GPU the machine cannot give stops before anything starts. */
  enforce: boolean;
  cpuOnly: boolean;
}

export interface GpuAllocation {
  assignments: Map<string, GpuAssignment>;
  state: Map<string, Grant<string>>;
  warnings: string[];
}

export const NO_GPU_FIX =
  'Install the NVIDIA driver and the NVIDIA Container Toolkit (then "nvidia-ctk runtime configure --runtime=docker" and restart dockerd), or set ' +
  '"gpus_optional: true" in the project\'s envctl.yml, or run "envctl up --cpu-only".';

/**
 * GPUs handed out like ports: exclusive requests get units no one else holds, least loaded first, the
 * same ones again while they stay free; `all` and shared requests never block and are never blocked;
 * named ids are checked against the machine's inventory.
 */
export async function allocateGpus(input: GpuAllocationInput): Promise<GpuAllocation> {
  const assignments = new Map<string, GpuAssignment>();
  const wanting = input.needs.filter((need) => need.request.kind !== 'none');
  for (const need of input.needs) if (need.request.kind === 'none') assignments.set(need.project, { kind: 'none' });
  if (input.cpuOnly || !input.discovery.available) return withoutGpus(input, wanting, assignments);

  const units = unitsOf(input.discovery.gpus);
  const heldBy = new Map(input.holders.map((holder) => [holder.unit, holder.who]));
  const explicit = grantNamed(wanting, units, heldBy, assignments);
  const byLoad = [...units].sort((a, b) => loadOf(a) - loadOf(b) || units.indexOf(a) - units.indexOf(b));
  const granted = await grantExclusiveCounts(input, { wanting, units, heldBy, explicit, byLoad }, assignments);
  grantShared({ wanting, units, heldBy, explicit, byLoad }, granted, assignments);
  return { assignments, state: nextState(input.previous, granted, releasedBy(input)), warnings: [] };
}

/** What the allocation of one run knows once the machine's units are read. */
interface UnitsSeen {
  wanting: readonly GpuNeed[];
  units: readonly GpuUnit[];
  heldBy: ReadonlyMap<string, string>;
  /** Units named by id in an exclusive request, and who named them. */
  explicit: ReadonlyMap<string, string>;
  byLoad: readonly GpuUnit[];
}

/** A project asking now has its GPUs allocated anew (sticky through `previous`); the others keep theirs. */
function releasedBy(input: GpuAllocationInput): (key: string) => boolean {
  return (key) => input.needs.some((need) => key.startsWith(`${need.project}/`));
}

/** No GPUs to read (or --cpu-only): requests are kept as written, skipped when optional, or refused. */
function withoutGpus(
  input: GpuAllocationInput,
  wanting: readonly GpuNeed[],
  assignments: Map<string, GpuAssignment>,
): GpuAllocation {
  const warnings: string[] = [];
  const reason = input.cpuOnly ? '--cpu-only' : input.discovery.available ? '' : input.discovery.reason;
  for (const need of wanting) {
    if (!input.enforce && !input.cpuOnly) assignments.set(need.project, asWritten(need.request));
    else if (input.cpuOnly || need.optional) {
      assignments.set(need.project, { kind: 'none', skipped: reason });
      warnings.push(`${need.project} runs without a GPU (${reason}).`);
    } else {
      throw new InputError(`Project "${need.project}" needs a GPU, and this machine cannot give one: ${reason}.`, {
        location: need.location,
        hint: NO_GPU_FIX,
      });
    }
  }
  return { assignments, state: nextState(input.previous, new Map(), releasedBy(input)), warnings };
}

/** `all` and named ids: checked against the inventory, exclusive ones against every holder. */
function grantNamed(
  wanting: readonly GpuNeed[],
  units: readonly GpuUnit[],
  heldBy: ReadonlyMap<string, string>,
  assignments: Map<string, GpuAssignment>,
): Map<string, string> {
  const explicit = new Map<string, string>();
  for (const need of wanting) {
    if (need.request.kind === 'all') assignments.set(need.project, { kind: 'all' });
    if (need.request.kind !== 'ids') continue;
    const ids = need.request.ids.map((id) => resolveUnit(id, units, need));
    if (need.sharing === 'exclusive') {
      for (const id of ids) {
        const holder = heldBy.get(id) ?? explicit.get(id);
        if (holder)
          throw new ExhaustedError(`Project "${need.project}" asks for GPU ${id}, which ${holder} holds.`, {
            location: need.location,
            hint: holdersHint(units, heldBy, explicit),
          });
        explicit.set(id, need.project);
      }
    }
    assignments.set(need.project, { kind: 'ids', ids, sharing: need.sharing });
  }
  return explicit;
}

/** Exclusive counts: units no one else holds, least loaded first, the same ones again while they stay free. */
async function grantExclusiveCounts(
  input: GpuAllocationInput,
  seen: UnitsSeen,
  assignments: Map<string, GpuAssignment>,
): Promise<Map<string, Grant<string>>> {
  const { units, heldBy, explicit, byLoad } = seen;
  const exclusiveCounts = seen.wanting.filter((need) => need.request.kind === 'count' && need.sharing === 'exclusive');
  const requests = exclusiveCounts.flatMap((need) =>
    Array.from({ length: countOf(need, units) }, (_, i) => ({
      key: `${need.project}/gpu/${i}`,
      signature: `count:${countOf(need, units)}`,
      candidates: () => byLoad.map((unit) => unit.id),
    })),
  );
  const outcome = await allocate(requests, input.previous, [...explicit.keys()], {
    conflicts: (a, b) => a === b,
    isAvailable: (id) => !heldBy.has(id) && units.some((unit) => unit.id === id),
  });
  const short = exclusiveCounts.find((need) => outcome.unmet.some((key) => key.startsWith(`${need.project}/`)));
  if (short) throw notEnoughFree(short, seen, outcome.granted);
  for (const need of exclusiveCounts) {
    const ids = [...outcome.granted.values()]
      .filter((grant) => grant.key.startsWith(`${need.project}/`))
      .map((grant) => grant.value);
    assignments.set(need.project, { kind: 'ids', ids, sharing: 'exclusive' });
  }
  return outcome.granted;
}

function notEnoughFree(short: GpuNeed, seen: UnitsSeen, granted: ReadonlyMap<string, Grant<string>>): ExhaustedError {
  const { units, heldBy, explicit } = seen;
  // The project that did not fit holds nothing: its partial grants are not shown as taken.
  const others = [...granted.values()].filter((grant) => !grant.key.startsWith(`${short.project}/`));
  const taken = new Map([
    ...explicit,
    ...others.map((grant): [string, string] => [grant.value, grant.key.split('/')[0]!]),
  ]);
  const free = units.filter((unit) => !heldBy.has(unit.id) && !taken.has(unit.id)).length;
  return new ExhaustedError(
    `Project "${short.project}" asks for ${countOf(short, units)} GPU(s) of its own, and not enough are free.`,
    {
      location: short.location,
      hint:
        `${holdersHint(units, heldBy, taken)} Free: ${free}. Stop a project that holds one (envctl down <project>), ask for fewer, or share with ` +
        `"gpu_sharing: shared".`,
    },
  );
}

/** Shared requests take what no one holds alone first, so sharing leaves exclusive users undisturbed. */
function grantShared(
  seen: UnitsSeen,
  granted: ReadonlyMap<string, Grant<string>>,
  assignments: Map<string, GpuAssignment>,
): void {
  const exclusive = new Set([
    ...seen.heldBy.keys(),
    ...seen.explicit.keys(),
    ...[...granted.values()].map((grant) => grant.value),
  ]);
  const bySharing = [...seen.byLoad].sort((a, b) => Number(exclusive.has(a.id)) - Number(exclusive.has(b.id)));
  for (const need of seen.wanting.filter((n) => n.request.kind === 'count' && n.sharing === 'shared')) {
    assignments.set(need.project, {
      kind: 'ids',
      ids: bySharing.slice(0, countOf(need, seen.units)).map((unit) => unit.id),
      sharing: 'shared',
    });
  }
}

function asWritten(request: GpuRequest): GpuAssignment {
  if (request.kind === 'count') return { kind: 'count', count: request.count };
  if (request.kind === 'ids') return { kind: 'ids', ids: request.ids, sharing: 'exclusive' };
  return request.kind === 'all' ? { kind: 'all' } : { kind: 'none' };
}

function countOf(need: GpuNeed, units: readonly GpuUnit[]): number {
  const count = need.request.kind === 'count' ? need.request.count : 0;
  if (count > units.length) {
    throw new ExhaustedError(`Project "${need.project}" asks for ${count} GPUs; this machine has ${units.length}.`, {
      location: need.location,
      hint: `Its GPUs: ${units.map(describeUnit).join('; ')}.`,
    });
  }
  return count;
}

function resolveUnit(id: string, units: readonly GpuUnit[], need: GpuNeed): string {
  const unit = units.find((candidate) => candidate.id === id || candidate.aliases.includes(id));
  if (unit) return unit.id;
  const migGpu = units.find(
    (candidate) => candidate.mig && (String(candidate.gpu.index) === id || candidate.gpu.uuid === id),
  );
  const known = units.map((candidate) => candidate.id);
  throw new InputError(
    migGpu
      ? `GPU ${id} is in MIG mode: project "${need.project}" must name its MIG instances.`
      : `Project "${need.project}" asks for GPU ${id}, which this machine does not have.`,
    { location: need.location, hint: `${didYouMean(id, known)}Its GPUs: ${units.map(describeUnit).join('; ')}.` },
  );
}

export function describeUnit(unit: GpuUnit): string {
  return unit.mig
    ? `${unit.id} (MIG ${unit.mig.profile} on GPU ${unit.gpu.index})`
    : `${unit.id} (${unit.gpu.name}, ${unit.gpu.uuid})`;
}

function holdersHint(
  units: readonly GpuUnit[],
  heldBy: ReadonlyMap<string, string>,
  inThisRun: ReadonlyMap<string, string>,
): string {
  const lines = units.map((unit) => `GPU ${unit.id}: ${heldBy.get(unit.id) ?? inThisRun.get(unit.id) ?? 'free'}`);
  return `Who holds what: ${lines.join(', ')}.`;
}
