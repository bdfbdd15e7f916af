import { describe, expect, it } from 'vitest';
import {
  allocateSubnets,
  type BusyBlock,
  type NetworkRequest,
} from '../../../src/allocation/network/allocate-subnets.js';
import { parseCidr } from '../../../src/util/cidr.js';
import { ExhaustedError } from '../../../src/errors/envctl-error.js';

const requests: NetworkRequest[] = [
  { key: '_workspace', name: 'envctl_ws', prefix: 24 },
  { key: 'project:a', name: 'envctl_ws_a', prefix: 26 },
  { key: 'project:b', name: 'envctl_ws_b', prefix: 26 },
];
const busy = (subnet: string, ownerKey?: string): BusyBlock => ({ cidr: parseCidr(subnet), holder: 'test', ownerKey });
const subnets = (grants: Array<{ key: string; subnet: string; gateway: string }>) =>
  Object.fromEntries(grants.map((g) => [g.key, g.subnet]));

describe('allocateSubnets', () => {
  it('hands out non-overlapping blocks of the asked size, with the first address as gateway', async () => {
    const { grants } = await allocateSubnets({ requests, previous: new Map(), range: '10.213.0.0/16', busy: [] });
    expect(subnets(grants)).toEqual({
      _workspace: '10.213.0.0/24',
      'project:a': '10.213.1.0/26',
      'project:b': '10.213.1.64/26',
    });
    expect(grants[1]!.gateway).toBe('10.213.1.1');
  });

  it('avoids networks of the engine and routes of the host, but not its own network', async () => {
    const { grants } = await allocateSubnets({
      requests,
      previous: new Map([['project:a', { key: 'project:a', value: '10.213.1.0/26', signature: '' }]]),
      range: '10.213.0.0/16',
      busy: [busy('10.213.0.128/25'), busy('10.213.1.0/26', 'project:a'), busy('10.213.1.64/27')],
    });
    expect(subnets(grants)).toEqual({
      _workspace: '10.213.2.0/24',
      'project:a': '10.213.1.0/26',
      'project:b': '10.213.0.0/26',
    });
  });

  it('moves a project whose previous subnet is now taken, and keeps the others where they were', async () => {
    const first = await allocateSubnets({ requests, previous: new Map(), range: '10.213.0.0/16', busy: [] });
    const second = await allocateSubnets({
      requests,
      previous: first.state,
      range: '10.213.0.0/16',
      busy: [busy('10.213.1.0/28')],
    });
    expect(subnets(second.grants)).toEqual({
      _workspace: '10.213.0.0/24',
      'project:a': '10.213.1.128/26',
      'project:b': '10.213.1.64/26',
    });
  });

  it('gives the workspace network a larger block when the workspace outgrows it', async () => {
    const first = await allocateSubnets({ requests, previous: new Map(), range: '10.213.0.0/16', busy: [] });
    const bigger = [{ ...requests[0]!, prefix: 22 }, ...requests.slice(1)];
    const second = await allocateSubnets({ requests: bigger, previous: first.state, range: '10.213.0.0/16', busy: [] });
    expect(subnets(second.grants)._workspace).toBe('10.213.4.0/22');
  });

  it('names the setting to change when the range has no room', async () => {
    const error = await allocateSubnets({ requests, previous: new Map(), range: '10.213.0.0/24', busy: [] }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ExhaustedError);
    expect(error.hint).toContain('networks.range');
  });
});
