import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeInventory, parseList, parseQuery, unitsOf } from '../../../src/allocation/gpu/inventory.js';
import { REPO } from '../../support/workspace.js';

const recording = (path: string) => readFileSync(join(REPO, 'test', 'fixtures', 'nvidia-smi', path), 'utf8');

describe('parseQuery (real recordings)', () => {
  it('reads the H100 with header and units', () => {
    expect(parseQuery(recording('h100-1gpu/query.stdout'))).toEqual([
      {
        index: 0,
        uuid: 'GPU-aa35f6ed-7bcf-cac6-0b20-fa8e1cc972a6',
        name: 'NVIDIA H100 80GB HBM3',
        memoryTotalMiB: 81559,
        memoryUsedMiB: 0,
        utilizationPercent: 0,
        mig: [],
      },
    ]);
  });

  it('reads five GeForce GPUs from a query of other columns, with memory and use unknown', () => {
    const gpus = parseQuery(recording('geforce-5gpu/query.stdout'));
    expect(gpus.map((gpu) => [gpu.index, gpu.name, gpu.memoryTotalMiB])).toEqual([
      [0, 'GeForce GTX 1060 6GB', null],
      [1, 'GeForce GTX 1080 Ti', null],
      [2, 'GeForce GTX 1060 6GB', null],
      [3, 'GeForce GTX 1060 6GB', null],
      [4, 'GeForce GTX 1060 6GB', null],
    ]);
  });

  it('refuses output without a header, a row of the wrong width, or an index that is not one', () => {
    expect(() => parseQuery(recording('h100-busy/query-noheader.stdout'))).toThrow('printed no "index" column');
    expect(() => parseQuery('index, uuid, name\n0, GPU-aa35f6ed, H100, extra\n')).toThrow('4 values for 3 columns');
    expect(() => parseQuery('index, uuid, name\nx, GPU-aa35f6ed, H100\n')).toThrow('index that is not one');
    expect(parseQuery('index, uuid, name, memory.used\n0, GPU-aa35f6ed, H100, [N/A]\n')[0]!.memoryUsedMiB).toBeNull();
  });
});

describe('parseList (real recordings)', () => {
  it('reads 8 H100s with 7 MIG instances each', () => {
    const gpus = parseList(recording('h100-8x-mig/list.stdout'));
    expect(gpus).toHaveLength(8);
    expect(gpus.every((gpu) => gpu.mig.length === 7)).toBe(true);
    expect(unitsOf(gpus)).toHaveLength(56);
    expect(unitsOf(gpus)[0]!.id).toBe('MIG-4d0efb7d-0970-51d9-b761-0686be6b8af3');
  });

  it('reads a machine with only GPU 0 in MIG mode: its instances and the other GPUs whole', () => {
    const units = unitsOf(parseList(recording('a100-4x-gpu0-mig/list.stdout')));
    expect(units.map((unit) => unit.id)).toEqual([
      'MIG-ce861fb0-a248-58ce-a9a8-f9adbc22a66a',
      'MIG-a45882f0-9215-5733-a0c1-49286ab31cb5',
      'MIG-f00d722c-f4e1-52c9-aa31-750441ae1bfe',
      'MIG-930574a9-d43a-5d2b-95da-3e68384c8d6b',
      '1',
      '2',
      '3',
    ]);
  });

  it('reads the legacy MIG-GPU-<uuid>/<gi>/<ci> form', () => {
    const [gpu] = parseList(recording('legacy-a100-list.stdout'));
    expect(gpu!.mig.map((mig) => mig.uuid)[3]).toBe('MIG-GPU-4200ccc0-2667-d4cb-9137-f932c716232a/10/0');
  });

  it('refuses a line it does not understand', () => {
    expect(() => parseList('GPU 0: H100 (UUID: GPU-aa)\nNo devices were found\n')).toThrow('does not understand');
  });

  it("merges the query's numbers with the list's MIG instances", () => {
    const merged = mergeInventory(
      parseQuery(recording('h100-1gpu/query.stdout')),
      parseList(recording('h100-1gpu/list.stdout')),
    );
    expect(merged).toHaveLength(1);
    expect(merged[0]!.memoryTotalMiB).toBe(81559);
  });
});
