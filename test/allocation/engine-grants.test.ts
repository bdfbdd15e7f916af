import { describe, expect, it } from 'vitest';
import { seedGrants } from '../../src/allocation/allocate.js';
import {
  enginePortOwners,
  gpuGrantsOnEngine,
  gpuGroup,
  networkGrantsOnEngine,
  portGrantsOnEngine,
} from '../../src/allocation/engine-grants.js';
import { busyBlocks } from '../../src/allocation/network/busy-blocks.js';
import { portKey, type PortRequest } from '../../src/allocation/ports/port-request.js';
import { GPU_LABEL, LABEL } from '../../src/model/labels.js';
import { formatCidr, parseCidr } from '../../src/util/cidr.js';

const ROOT = '/ws';
const ours = { [LABEL.root]: ROOT, [LABEL.project]: 'p', [LABEL.service]: 'web' };
const theirs = { [LABEL.root]: '/other', [LABEL.project]: 'p', [LABEL.service]: 'web' };
const isOurs = (labels: Record<string, string>) => labels[LABEL.root] === ROOT;

describe("what the engine's labels say this workspace holds", () => {
  it('gives a port our container publishes back to the request that asked for it, never another workspace its port', () => {
    const owners = enginePortOwners(
      [
        { port: 8888, protocol: 'tcp', privatePort: 80, labels: ours },
        { port: 9999, protocol: 'tcp', privatePort: 80, labels: theirs },
      ],
      isOurs,
      portKey,
    );
    expect([...owners]).toEqual([
      [8888, 'p/web/80/tcp'],
      [9999, undefined],
    ]);
    const request = { key: 'p/web/80/tcp', preferred: 8000 } as PortRequest;
    expect(portGrantsOnEngine(owners, [request])).toEqual([{ key: 'p/web/80/tcp', value: 8888, signature: '8000' }]);
  });

  it("reads our networks' IPv4 subnets by their keys", () => {
    const network = (labels: Record<string, string>, subnets: string[]) => ({ id: 'n', name: 'n', labels, subnets });
    expect(
      networkGrantsOnEngine(
        [
          network({ ...ours, [LABEL.network]: '_workspace' }, ['fd00::/64', '10.213.0.0/24']),
          network({ ...theirs, [LABEL.network]: '_workspace' }, ['10.213.1.0/24']),
          network(ours, ['10.213.2.0/24']),
        ],
        isOurs,
      ),
    ).toEqual([{ key: '_workspace', value: '10.213.0.0/24', signature: '' }]);
  });

  it('reads the GPUs our containers hold alone, and seeds a project only when the state knows none of its GPUs', () => {
    const holding = (project: string, gpus: string, sharing = 'exclusive') => ({
      labels: { ...ours, [LABEL.project]: project, [GPU_LABEL.gpus]: gpus, [GPU_LABEL.sharing]: sharing },
    });
    const found = gpuGrantsOnEngine([holding('p', '0,1'), holding('q', '2'), holding('s', '3', 'shared')], isOurs);
    expect(found.map((grant) => `${grant.key}=${grant.value}`)).toEqual(['p/gpu/0=0', 'p/gpu/1=1', 'q/gpu/0=2']);
    const previous = new Map([['p/gpu/0', { key: 'p/gpu/0', value: '5', signature: 'count:1' }]]);
    const seeded = seedGrants(previous, found, gpuGroup);
    expect([...seeded.keys()]).toEqual(['p/gpu/0', 'q/gpu/0']);
    expect(seeded.get('p/gpu/0')?.value).toBe('5');
  });
});

describe('what already holds addresses', () => {
  it("marks our networks' blocks, and the host routes through their bridges, as ours to keep", () => {
    const busy = busyBlocks(
      [
        {
          id: 'abcdef0123456789',
          name: 'envctl_ws',
          subnets: ['10.213.0.0/24'],
          labels: { ...ours, [LABEL.network]: '_workspace' },
        },
        { id: '0123456789abcdef', name: 'other', subnets: ['10.213.1.0/24'], labels: theirs },
      ],
      [
        { cidr: parseCidr('10.213.0.0/24'), device: 'br-abcdef012345' },
        { cidr: parseCidr('192.0.2.0/24'), device: 'eth0' },
      ],
      new Map(),
      isOurs,
    );
    expect(busy.map((block) => [formatCidr(block.cidr), block.holder, block.ownerKey])).toEqual([
      ['10.213.0.0/24', 'Docker network envctl_ws', '_workspace'],
      ['10.213.1.0/24', 'Docker network other', undefined],
      ['10.213.0.0/24', 'host route via br-abcdef012345', '_workspace'],
      ['192.0.2.0/24', 'host route via eth0', undefined],
    ]);
  });
});
