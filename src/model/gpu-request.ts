import { z } from 'zod';

/** What a project asks of the GPUs: nothing, every GPU, a number of them, or named ones. */
export type GpuRequest =
  { kind: 'none' } | { kind: 'all' } | { kind: 'count'; count: number } | { kind: 'ids'; ids: string[] };

const gpuId = z.union([
  z.number().int().min(0),
  z
    .string()
    .regex(
      /^(\d+|GPU-[0-9a-fA-F-]+|MIG-[0-9a-zA-Z/-]+)$/,
      'must be a GPU index (0, 1, ...), a "GPU-…" UUID or a "MIG-…" UUID',
    ),
]);

export const gpuSpecSchema = z.union([
  z.literal('none'),
  z.literal('all'),
  z.number().int().min(0, 'must be "none", "all", a count of at least 1, or a list of GPU indexes or UUIDs'),
  z.array(gpuId).min(1, 'a list of GPUs must name at least one'),
]);
export type GpuSpec = z.infer<typeof gpuSpecSchema>;

export function gpuRequestOf(spec: GpuSpec | undefined): GpuRequest {
  if (spec === undefined || spec === 'none' || spec === 0) return { kind: 'none' };
  if (spec === 'all') return { kind: 'all' };
  if (typeof spec === 'number') return { kind: 'count', count: spec };
  return { kind: 'ids', ids: [...new Set(spec.map(String))] };
}
