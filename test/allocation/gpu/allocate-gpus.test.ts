import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocateGpus, type GpuNeed } from '../../../src/allocation/gpu/allocate-gpus.js';
import { parseList, parseQuery, type Gpu } from '../../../src/allocation/gpu/inventory.js';
import { ExhaustedError, InputError } from '../../../src/errors/envctl-error.js';
import { REPO } from '../../support/workspace.js';
import type { GpuRequest } from '../../../src/model/gpu-request.js';

const recording = (path: string) => readFileSync(join(REPO, 'test', 'fixtures', 'nvidia-smi', path), 'utf8');
const FIVE = parseQuery(recording('geforce-5gpu/query.stdout'));
const need = (project: string, request: GpuRequest, extra: Partial<GpuNeed> = {}): GpuNeed => ({
  project,
  request,
  sharing: 'exclusive',
  optional: false,
  location: undefined,
  ...extra,
});
const count = (n: number): GpuRequest => ({ kind: 'count', count: n });
const on = (gpus: Gpu[]) => ({ available: true as const, gpus });
const ids = (allocation: Awaited<ReturnType<typeof allocateGpus>>, project: string) => {
  const assignment = allocation.assignments.get(project)!;
  return assignment.kind === 'ids' ? assignment.ids : assignment.kind;
};

describe('allocateGpus', () => {
  it('gives exclusive projects GPUs no one else holds, and the same ones next time', async () => {
    const first = await allocateGpus({
      needs: [need('a', count(2)), need('b', count(2))],
      discovery: on(FIVE),
      holders: [],
      previous: new Map(),
      enforce: true,
      cpuOnly: false,
    });
    expect([ids(first, 'a'), ids(first, 'b')]).toEqual([
      ['0', '1'],
      ['2', '3'],
    ]);
    const again = await allocateGpus({
      needs: [need('b', count(2)), need('a', count(2))],
      discovery: on(FIVE),
      holders: [],
      previous: first.state,
      enforce: true,
      cpuOnly: false,
    });
    expect([ids(again, 'a'), ids(again, 'b')]).toEqual([
      ['0', '1'],
      ['2', '3'],
    ]);
  });

  it('takes the least loaded GPU first', async () => {
    const gpus = FIVE.map((gpu, i) => ({ ...gpu, memoryTotalMiB: 1000, memoryUsedMiB: i === 0 ? 900 : 10 * i }));
    const result = await allocateGpus({
      needs: [need('a', count(1))],
      discovery: on(gpus),
      holders: [],
      previous: new Map(),
      enforce: true,
      cpuOnly: false,
    });
    expect(ids(result, 'a')).toEqual(['1']);
  });

  it('names who holds what when a project asks for more than is free', async () => {
    const holders = [{ unit: '4', who: 'project x of workspace /other' }];
    const error = await allocateGpus({
      needs: [need('a', count(2)), need('b', count(2)), need('c', count(1))],
      discovery: on(FIVE),
      holders,
      previous: new Map(),
      enforce: true,
      cpuOnly: false,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ExhaustedError);
    expect(error.message).toBe('Project "c" asks for 1 GPU(s) of its own, and not enough are free.');
    expect(error.hint).toContain('GPU 0: a, GPU 1: a, GPU 2: b, GPU 3: b, GPU 4: project x of workspace /other');
  });

  it('never blocks, and is never blocked by, all and shared requests', async () => {
    const result = await allocateGpus({
      needs: [need('a', count(5)), need('s', count(1), { sharing: 'shared' }), need('every', { kind: 'all' })],
      discovery: on(FIVE),
      holders: [],
      previous: new Map(),
      enforce: true,
      cpuOnly: false,
    });
    expect(ids(result, 'a')).toEqual(['0', '1', '2', '3', '4']);
    expect(ids(result, 's')).toEqual(['0']);
    const beside = await allocateGpus({
      needs: [need('a', count(2)), need('s', count(1), { sharing: 'shared' })],
      discovery: on(FIVE),
      holders: [],
      previous: new Map(),
      enforce: true,
      cpuOnly: false,
    });
    expect(ids(beside, 's')).toEqual(['2']);
    expect(ids(result, 'every')).toBe('all');
  });

  it('checks named GPUs against the inventory, listing the real ones', async () => {
    const error = await allocateGpus({
      needs: [need('a', { kind: 'ids', ids: ['7'] })],
      discovery: on(FIVE),
      holders: [],
      previous: new Map(),
      enforce: true,
      cpuOnly: false,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain('asks for GPU 7, which this machine does not have');
    expect(error.hint).toContain('4 (GeForce GTX 1060 6GB, GPU-ff3318a7-f0dd-dc57-1fb8-cc95ba35c56e)');
    const byUuid = await allocateGpus({
      needs: [need('a', { kind: 'ids', ids: ['GPU-15ea7bf9-1a0e-2d7f-9c62-c28e5ca1aaf1'] })],
      discovery: on(FIVE),
      holders: [],
      previous: new Map(),
      enforce: true,
      cpuOnly: false,
    });
    expect(ids(byUuid, 'a')).toEqual(['1']);
  });

  it('hands out MIG instances, and asks for instances when a GPU in MIG mode is named', async () => {
    const mig = parseList(recording('a100-4x-gpu0-mig/list.stdout'));
    const result = await allocateGpus({
      needs: [need('a', count(2))],
      discovery: on(mig),
      holders: [],
      previous: new Map(),
      enforce: true,
      cpuOnly: false,
    });
    expect(ids(result, 'a')).toEqual([
      'MIG-ce861fb0-a248-58ce-a9a8-f9adbc22a66a',
      'MIG-a45882f0-9215-5733-a0c1-49286ab31cb5',
    ]);
    const error = await allocateGpus({
      needs: [need('b', { kind: 'ids', ids: ['0'] })],
      discovery: on(mig),
      holders: [],
      previous: new Map(),
      enforce: true,
      cpuOnly: false,
    }).catch((e) => e);
    expect(error.message).toContain('GPU 0 is in MIG mode');
  });

  it('without GPUs: stops a project that needs one, with the fix; runs an optional one without', async () => {
    const none = { available: false as const, reason: 'nvidia-smi is not installed' };
    const error = await allocateGpus({
      needs: [need('a', count(1))],
      discovery: none,
      holders: [],
      previous: new Map(),
      enforce: true,
      cpuOnly: false,
    }).catch((e) => e);
    expect(error.message).toBe(
      'Project "a" needs a GPU, and this machine cannot give one: nvidia-smi is not installed.',
    );
    expect(error.hint).toContain('NVIDIA Container Toolkit');
    const optional = await allocateGpus({
      needs: [need('a', count(1), { optional: true })],
      discovery: none,
      holders: [],
      previous: new Map(),
      enforce: true,
      cpuOnly: false,
    });
    expect(optional.assignments.get('a')).toEqual({ kind: 'none', skipped: 'nvidia-smi is not installed' });
    expect(optional.warnings).toEqual(['a runs without a GPU (nvidia-smi is not installed).']);
    const described = await allocateGpus({
      needs: [need('a', count(1))],
      discovery: none,
      holders: [],
      previous: new Map(),
      enforce: false,
      cpuOnly: false,
    });
    expect(described.assignments.get('a')).toEqual({ kind: 'count', count: 1 });
  });
});
