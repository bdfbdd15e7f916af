import { describe, expect, it } from 'vitest';
import { mergeCompose } from '../../src/compose/merge.js';
import { YamlSource } from '../../src/util/yaml-source.js';

const yaml = (text: string) => YamlSource.parse(text, 'test.yml').toJS() as Record<string, never>;

describe('mergeCompose (Compose Specification merge rules)', () => {
  it('merges mappings and appends sequences', () => {
    const merged = mergeCompose(
      yaml('services: {a: {image: x, dns: [1.1.1.1], working_dir: /w}}'),
      yaml('services: {a: {image: y, dns: [8.8.8.8]}, b: {image: z}}'),
    );
    expect(merged.services).toEqual({
      a: { image: 'y', dns: ['1.1.1.1', '8.8.8.8'], working_dir: '/w' },
      b: { image: 'z' },
    });
  });

  it('replaces command, entrypoint and healthcheck.test', () => {
    const merged = mergeCompose(
      yaml('services: {a: {command: [echo, foo], entrypoint: [sh], healthcheck: {test: [CMD, a], interval: 5s}}}'),
      yaml('services: {a: {command: [echo, bar], entrypoint: [bash], healthcheck: {test: [CMD, b]}}}'),
    );
    expect(merged.services!.a).toEqual({
      command: ['echo', 'bar'],
      entrypoint: ['bash'],
      healthcheck: { test: ['CMD', 'b'], interval: '5s' },
    });
  });

  it('keeps volumes unique by target and ports unique by address, ports and protocol', () => {
    const merged = mergeCompose(
      yaml('services: {a: {volumes: ["foo:/work", "/x:/data"], ports: ["127.0.0.1:8888:8888/tcp"]}}'),
      yaml('services: {a: {volumes: ["bar:/work"], ports: ["127.0.0.1:8888:8888/tcp", "5432"]}}'),
    );
    expect(merged.services!.a!.volumes).toEqual(['bar:/work', '/x:/data']);
    expect(merged.services!.a!.ports).toEqual(['127.0.0.1:8888:8888/tcp', '5432']);
  });

  it('merges environment and labels written as lists or mappings, and depends_on lists', () => {
    const merged = mergeCompose(
      yaml('services: {a: {environment: ["A=1", "B=2"], labels: {x: "1"}, depends_on: [db]}}'),
      yaml(
        'services: {a: {environment: {B: "3", C: "4"}, labels: ["y=2"], depends_on: {cache: {condition: service_healthy}}}}',
      ),
    );
    expect(merged.services!.a).toEqual({
      environment: { A: '1', B: '3', C: '4' },
      labels: { x: '1', y: '2' },
      depends_on: { db: { condition: 'service_started' }, cache: { condition: 'service_healthy' } },
    });
  });

  it('honours !reset and !override', () => {
    const merged = mergeCompose(
      yaml('services: {a: {image: x, ports: ["8080:80"], environment: {FOO: bar, KEEP: "1"}}}'),
      yaml('services: {a: {ports: !override ["9090:90"], environment: {FOO: !reset null}}}'),
    );
    expect(merged.services!.a).toEqual({ image: 'x', ports: ['9090:90'], environment: { KEEP: '1' } });
  });
});
