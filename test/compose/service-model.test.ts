import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../src/compose/compose-types.js';
import { serviceModel } from '../../src/compose/service-model-read.js';

/** Each pair writes the same service in a short and a long syntax of the Compose Specification. */
const SAME: Array<[string, ServiceSpec, ServiceSpec]> = [
  [
    'a command line and its words',
    { command: 'python -m "http.server" 8000' },
    { command: ['python', '-m', 'http.server', '8000'] },
  ],
  [
    'environment as a list and as a mapping',
    { environment: ['A=1', 'B=x=y', 'UNSET'] },
    { environment: { A: 1, B: 'x=y', UNSET: null } },
  ],
  [
    'a port as text and in long form',
    { ports: ['127.0.0.1:8080:80/udp'] },
    { ports: [{ target: 80, published: 8080, host_ip: '127.0.0.1', protocol: 'udp' }] },
  ],
  [
    'extra_hosts as a list and as a mapping',
    { extra_hosts: ['db.lab:10.0.0.9'] },
    { extra_hosts: { 'db.lab': '10.0.0.9' } },
  ],
  ['dns as one address and as a list', { dns: '10.0.0.2' }, { dns: ['10.0.0.2'] }],
  [
    'depends_on as a list and as a mapping',
    { depends_on: ['db'] },
    { depends_on: { db: { condition: 'service_started' } } },
  ],
  ['networks as a list and as a mapping', { networks: ['back'] }, { networks: { back: null } }],
  [
    'a ulimit as one number and as soft and hard',
    { ulimits: { nofile: 1024 } },
    { ulimits: { nofile: { soft: 1024, hard: 1024 } } },
  ],
  [
    'a device as text and in long form',
    { devices: ['/dev/fuse'] },
    { devices: [{ source: '/dev/fuse', target: '/dev/fuse' }] },
  ],
  ['an env file as a path and in long form', { env_file: '.env' }, { env_file: [{ path: '.env', required: true }] }],
  ['a build as its context and in long form', { build: './app' }, { build: { context: './app' } }],
  ['a memory limit in Compose units and in bytes', { mem_limit: '1g' }, { mem_limit: 1024 ** 3 }],
  [
    'cpus and memory at the top level and under deploy',
    { cpus: 1.5, mem_limit: '512m', pids_limit: 100 },
    { deploy: { resources: { limits: { cpus: '1.5', memory: '512m', pids: 100 } } } },
  ],
];

describe('a service read into its long form', () => {
  it.each(SAME)('%s read the same', (_name, short, long) => {
    expect(serviceModel(short)).toEqual(serviceModel(long));
  });

  it('reads units once: durations in nanoseconds, sizes in bytes', () => {
    const model = serviceModel({
      stop_grace_period: '1m30s',
      shm_size: '64m',
      healthcheck: { test: 'curl -f localhost', interval: '500ms', retries: 3 },
      volumes: [{ type: 'tmpfs', target: '/scratch', tmpfs: { size: '1k' } }],
    });
    expect(model.process.stopGracePeriodNs).toBe(90e9);
    expect(model.storage.shmSizeBytes).toBe(64 * 1024 ** 2);
    expect(model.process.healthcheck).toEqual({
      test: ['CMD-SHELL', 'curl -f localhost'],
      intervalNs: 5e8,
      timeoutNs: undefined,
      retries: 3,
      startPeriodNs: undefined,
    });
    expect(model.storage.volumes[0]).toMatchObject({ syntax: 'long', type: 'tmpfs', tmpfsSizeBytes: 1024 });
  });

  it('keeps what only the short syntax of a volume can say (its mode), and tells the two apart', () => {
    const { volumes } = serviceModel({ volumes: ['/data:/data:ro,z', 'cache:/cache', '/anonymous'] }).storage;
    expect(volumes).toEqual([
      { syntax: 'short', source: '/data', target: '/data', mode: 'ro,z' },
      { syntax: 'short', source: 'cache', target: '/cache', mode: undefined },
      { syntax: 'short', source: undefined, target: '/anonymous', mode: undefined },
    ]);
  });

  it('reads a disabled health check as the NONE test, and restart "no" as no policy', () => {
    const model = serviceModel({ healthcheck: { disable: true, interval: '1s' }, restart: 'no' });
    expect(model.process.healthcheck?.test).toEqual(['NONE']);
    expect(model.process.healthcheck?.intervalNs).toBeUndefined();
    expect(model.process.restart).toBeUndefined();
    expect(serviceModel({ restart: 'on-failure:3' }).process.restart).toEqual({ name: 'on-failure', maxRetries: 3 });
  });
});
