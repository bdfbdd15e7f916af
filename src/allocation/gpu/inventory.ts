import { InputError } from '../../errors/envctl-error.js';

export interface MigDevice {
  uuid: string;
  profile: string;
  /** The device's number within its GPU, as nvidia-smi -L prints it. */
  device: number;
}

export interface Gpu {
  index: number;
  uuid: string;
  name: string;
  memoryTotalMiB: number | null;
  memoryUsedMiB: number | null;
  utilizationPercent: number | null;
  mig: MigDevice[];
}

/** What can be handed to one project: a whole GPU, or a MIG instance of a GPU in MIG mode. */
export interface GpuUnit {
  /** What goes into device_ids: the GPU's index, or the MIG instance's UUID. */
  id: string;
  /** Other names a project may use for it (the GPU's UUID). */
  aliases: string[];
  gpu: Gpu;
  mig: MigDevice | undefined;
}

export const QUERY_FIELDS = ['index', 'uuid', 'name', 'memory.total', 'memory.used', 'utilization.gpu'] as const;

class ParseError extends InputError {}

/**
 * Parses `nvidia-smi --query-gpu=... --format=csv[,nounits]`: by its header, so units in the header or the
 * values ("81559 MiB") and columns in any order are read alike, and strictly: a row with the wrong number
 * of values, or an index or UUID that is not one, is an error. "[N/A]" and "[Not Supported]" become null.
 */
export function parseQuery(text: string): Gpu[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length === 0) return [];
  const header = splitCsv(lines[0]!).map((name) => name.replace(/\s*\[[^\]]*\]$/, ''));
  const column = (name: string) => header.indexOf(name);
  for (const required of ['index', 'uuid', 'name']) {
    if (column(required) < 0)
      throw new ParseError(`nvidia-smi printed no "${required}" column: ${lines[0]}`, {
        hint: "envctl asks for --format=csv with a header; is nvidia-smi the NVIDIA driver's?",
      });
  }
  return lines.slice(1).map((line, row) => {
    const values = splitCsv(line);
    if (values.length !== header.length)
      throw new ParseError(
        `nvidia-smi row ${row + 1} has ${values.length} values for ${header.length} columns: ${line}`,
      );
    const get = (name: string) => (column(name) < 0 ? undefined : values[column(name)]!);
    const index = Number(get('index'));
    const uuid = get('uuid')!;
    if (!Number.isInteger(index) || index < 0)
      throw new ParseError(`nvidia-smi printed a GPU index that is not one: ${line}`);
    if (!/^GPU-[0-9a-fA-F-]+$/.test(uuid))
      throw new ParseError(`nvidia-smi printed a GPU UUID that is not one: ${line}`);
    return {
      index,
      uuid,
      name: get('name')!,
      memoryTotalMiB: measure(get('memory.total')),
      memoryUsedMiB: measure(get('memory.used')),
      utilizationPercent: measure(get('utilization.gpu')),
      mig: [],
    };
  });
}

/** Parses `nvidia-smi -L`: GPU lines and, under a GPU in MIG mode, its MIG devices (both UUID forms). */
export function parseList(text: string): Gpu[] {
  const gpus: Gpu[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const gpu = /^GPU (\d+): (.+) \(UUID: (GPU-[0-9a-fA-F-]+)\)$/.exec(line.trim());
    if (gpu) {
      gpus.push({
        index: Number(gpu[1]),
        name: gpu[2]!,
        uuid: gpu[3]!,
        memoryTotalMiB: null,
        memoryUsedMiB: null,
        utilizationPercent: null,
        mig: [],
      });
      continue;
    }
    const mig = /^MIG (\S+)\s+Device\s+(\d+): \(UUID: (MIG-[0-9A-Za-z/-]+)\)$/.exec(line.trim());
    if (mig && gpus.length) {
      gpus.at(-1)!.mig.push({ profile: mig[1]!, device: Number(mig[2]), uuid: mig[3]! });
      continue;
    }
    throw new ParseError(`nvidia-smi -L printed a line envctl does not understand: ${line.trim()}`);
  }
  return gpus;
}

/** One inventory from both commands: the query's numbers, the list's MIG devices; either alone will do. */
export function mergeInventory(fromQuery: readonly Gpu[] | undefined, fromList: readonly Gpu[] | undefined): Gpu[] {
  const byIndex = new Map<number, Gpu>();
  for (const gpu of fromList ?? []) byIndex.set(gpu.index, { ...gpu, mig: [...gpu.mig] });
  for (const gpu of fromQuery ?? []) byIndex.set(gpu.index, { ...gpu, mig: byIndex.get(gpu.index)?.mig ?? [] });
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

/** The units to allocate: each MIG instance of a GPU in MIG mode, each other GPU whole. */
export function unitsOf(gpus: readonly Gpu[]): GpuUnit[] {
  return gpus.flatMap((gpu): GpuUnit[] =>
    gpu.mig.length
      ? gpu.mig.map((mig) => ({ id: mig.uuid, aliases: [], gpu, mig }))
      : [{ id: String(gpu.index), aliases: [gpu.uuid], gpu, mig: undefined }],
  );
}

/** Lower is less loaded: memory in use, then utilisation; unknown counts as idle. */
export function loadOf(unit: GpuUnit): number {
  if (unit.mig) return 0;
  const memory = unit.gpu.memoryTotalMiB ? (unit.gpu.memoryUsedMiB ?? 0) / unit.gpu.memoryTotalMiB : 0;
  return memory + (unit.gpu.utilizationPercent ?? 0) / 100;
}

function measure(value: string | undefined): number | null {
  if (value === undefined) return null;
  const match = /^(\d+(?:\.\d+)?)\s*(MiB|%)?$/.exec(value.trim());
  return match ? Number(match[1]) : null;
}

function splitCsv(line: string): string[] {
  return line.split(',').map((value) => value.trim());
}
