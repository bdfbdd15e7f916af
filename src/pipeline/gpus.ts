import { existsSync } from 'node:fs';
import { NO_GPU_FIX } from '../allocation/gpu/allocate-gpus.js';
import { unitsOf } from '../allocation/gpu/inventory.js';
import { NvidiaSmiProbe } from '../allocation/gpu/probe.js';
import { connectEngineOf, type EngineChoice } from './edges.js';
import { GPU_LABEL, LABEL } from '../model/labels.js';

export interface GpuRow {
  id: string;
  gpu: number;
  name: string;
  uuid: string;
  mig: string | null;
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
  utilizationPercent: number | null;
  heldBy: Array<{ workspace: string; project: string; sharing: string }>;
}

/**
 * Every GPU and MIG instance of the machine, and the projects (of any workspace) holding it; on a machine
 * without a GPU driver none, and why: a list that is empty, not an error.
 */
export async function gpuRows(
  choice: EngineChoice,
): Promise<{ rows: GpuRow[]; none?: { reason: string; fix: string } }> {
  if (choice.ssh) await choice.ssh.connect();
  const probe = choice.ssh ? new NvidiaSmiProbe(choice.ssh) : new NvidiaSmiProbe();
  const discovery = await probe.discover();
  if (!discovery.available) return { rows: [], none: { reason: discovery.reason, fix: NO_GPU_FIX } };
  const holders = await runningHolders(choice);
  const rows: GpuRow[] = unitsOf(discovery.gpus).map((unit) => ({
    id: unit.id,
    gpu: unit.gpu.index,
    name: unit.gpu.name,
    uuid: unit.mig?.uuid ?? unit.gpu.uuid,
    mig: unit.mig?.profile ?? null,
    memoryUsedMiB: unit.mig ? null : unit.gpu.memoryUsedMiB,
    memoryTotalMiB: unit.mig ? null : unit.gpu.memoryTotalMiB,
    utilizationPercent: unit.mig ? null : unit.gpu.utilizationPercent,
    heldBy: holders.filter((holder) => holder.units.includes(unit.id)).map(({ units: _units, ...holder }) => holder),
  }));
  return { rows };
}

/** Containers that hold GPUs, from their labels; none when no engine answers. */
async function runningHolders(
  choice: EngineChoice,
): Promise<Array<{ workspace: string; project: string; sharing: string; units: string[] }>> {
  if (choice.target.kind === 'unix' && !existsSync(choice.target.socket)) return [];
  const engine = await connectEngineOf(choice, 1500).catch(() => undefined);
  if (!engine) return [];
  return (await engine.runningWithGpus()).map(({ labels }) => ({
    workspace: labels[LABEL.workspace] ?? '',
    project: labels[LABEL.project] ?? '',
    sharing: labels[GPU_LABEL.sharing] ?? 'exclusive',
    units: (labels[GPU_LABEL.gpus] ?? '').split(',').filter(Boolean),
  }));
}
