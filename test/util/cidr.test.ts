import { describe, expect, it } from 'vitest';
import { blocksOf, contains, formatCidr, gatewayOf, overlaps, parseCidr, prefixFor } from '../../src/util/cidr.js';

describe('cidr', () => {
  it('parses and aligns a block', () => {
    expect(formatCidr(parseCidr('10.213.5.77/24'))).toBe('10.213.5.0/24');
    expect(formatCidr(parseCidr('192.168.1.1'))).toBe('192.168.1.1/32');
    expect(() => parseCidr('10.0.0.256/8')).toThrow();
    expect(() => parseCidr('10.0.0.0/33')).toThrow();
  });

  it('tells overlap and containment', () => {
    expect(overlaps(parseCidr('10.0.0.0/24'), parseCidr('10.0.0.128/25'))).toBe(true);
    expect(overlaps(parseCidr('10.0.0.0/25'), parseCidr('10.0.0.128/25'))).toBe(false);
    expect(overlaps(parseCidr('0.0.0.0/1'), parseCidr('127.0.0.1/32'))).toBe(true);
    expect(contains(parseCidr('10.0.0.0/16'), parseCidr('10.0.3.0/26'))).toBe(true);
    expect(contains(parseCidr('10.0.0.0/26'), parseCidr('10.0.0.0/24'))).toBe(false);
  });

  it('lists aligned blocks and sizes blocks for a number of hosts', () => {
    expect([...blocksOf(parseCidr('10.1.0.0/24'), 26)].map(formatCidr)).toEqual([
      '10.1.0.0/26',
      '10.1.0.64/26',
      '10.1.0.128/26',
      '10.1.0.192/26',
    ]);
    expect(prefixFor(61)).toBe(26);
    expect(prefixFor(62)).toBe(25);
    expect(prefixFor(2)).toBe(29);
    expect(gatewayOf(parseCidr('10.1.0.64/26'))).toBe('10.1.0.65');
  });
});
