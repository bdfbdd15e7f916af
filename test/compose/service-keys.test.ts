import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../src/compose/compose-types.js';
import { modelProblems } from '../../src/merge/check-model.js';
import { appliedPaths, refusedPaths } from '../../src/compose/key-rules.js';
import { SLURM_VERDICTS } from '../../src/compose/slurm-keys.js';
import { SERVICE_KEYS } from '../../src/compose/service-keys.js';
import { KEY_TABLE_END, KEY_TABLE_START, keyTableMarkdown } from '../../src/compose/key-table-doc.js';
import { desiredState, hashOf, type DesiredService } from '../../src/reconcile/desired.js';
import { LABEL } from '../../src/model/labels.js';
import { swarmDesired } from '../../src/reconcile/swarm-desired.js';

/** The desired container of one service "web" (with a service "db" beside it to depend on). */
function desiredOf(spec: ServiceSpec): DesiredService {
  return desiredStateOf(spec).services.find((service) => service.service === 'web')!;
}

function desiredStateOf(spec: ServiceSpec) {
  const labels = { [LABEL.project]: 'p' };
  const model = {
    services: { web: { image: 'busybox', labels, ...spec }, db: { image: 'busybox', labels } },
    volumes: { data: {} },
  };
  const desired = desiredState(model, {
    projectName: 'ws',
    root: '/ws',
    composeDir: '/ws/compose',
    configFile: '/ws/compose/docker-compose.yml',
    envFiles: new Map([['/ws/.env', { FROM_FILE: '1' }]]),
  });
  return desired;
}

function at(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((inner, key) => (inner as Record<string, unknown> | undefined)?.[key], value);
}

interface Case {
  /** The applied key (a path of service-keys.ts) this case proves. */
  key: string;
  spec: ServiceSpec;
  /** Where the effect lands: a path of the container create body, or of the desired service. */
  where: string;
  expected: unknown;
  /** What to compare with, when the key's effect is not its mere presence. */
  without?: ServiceSpec;
}

const body = (path: string) => `create.${path}`;
const CASES: Case[] = [
  { key: 'build.context', spec: { build: { context: '/src' } }, where: 'build.context', expected: '/src' },
  {
    key: 'build.dockerfile',
    spec: { build: { context: '/src', dockerfile: 'gpu.Dockerfile' } },
    where: 'build.dockerfile',
    expected: 'gpu.Dockerfile',
  },
  {
    key: 'build.args',
    spec: { build: { context: '/src', args: { A: 1 } } },
    where: 'build.args',
    expected: { A: '1' },
  },
  { key: 'build.target', spec: { build: { context: '/src', target: 'dev' } }, where: 'build.target', expected: 'dev' },
  { key: 'cap_add', spec: { cap_add: ['SYS_PTRACE'] }, where: body('HostConfig.CapAdd'), expected: ['SYS_PTRACE'] },
  { key: 'cap_drop', spec: { cap_drop: ['NET_RAW'] }, where: body('HostConfig.CapDrop'), expected: ['NET_RAW'] },
  { key: 'cgroup', spec: { cgroup: 'private' }, where: body('HostConfig.CgroupnsMode'), expected: 'private' },
  {
    key: 'cgroup_parent',
    spec: { cgroup_parent: 'lab.slice' },
    where: body('HostConfig.CgroupParent'),
    expected: 'lab.slice',
  },
  { key: 'command', spec: { command: 'sleep "1 2"' }, where: body('Cmd'), expected: ['sleep', '1 2'] },
  { key: 'cpu_shares', spec: { cpu_shares: 512 }, where: body('HostConfig.CpuShares'), expected: 512 },
  { key: 'cpu_quota', spec: { cpu_quota: 50000 }, where: body('HostConfig.CpuQuota'), expected: 50000 },
  { key: 'cpu_period', spec: { cpu_period: 100000 }, where: body('HostConfig.CpuPeriod'), expected: 100000 },
  { key: 'cpus', spec: { cpus: 1.5 }, where: body('HostConfig.NanoCpus'), expected: 1.5e9 },
  { key: 'cpuset', spec: { cpuset: '0-1' }, where: body('HostConfig.CpusetCpus'), expected: '0-1' },
  { key: 'depends_on', spec: { depends_on: ['db'] }, where: 'dependsOn', expected: ['db'] },
  {
    key: 'depends_on[].condition',
    spec: { depends_on: { db: { condition: 'service_healthy' } } },
    where: 'waitFor',
    expected: [{ service: 'db', containerName: 'ws-db-1', condition: 'service_healthy' }],
  },
  {
    key: 'deploy.resources.limits.cpus',
    spec: { deploy: { resources: { limits: { cpus: '0.5' } } } },
    where: body('HostConfig.NanoCpus'),
    expected: 5e8,
  },
  {
    key: 'deploy.resources.limits.memory',
    spec: { deploy: { resources: { limits: { memory: '2g' } } } },
    where: body('HostConfig.Memory'),
    expected: 2 * 1024 ** 3,
  },
  {
    key: 'deploy.resources.limits.pids',
    spec: { deploy: { resources: { limits: { pids: 200 } } } },
    where: body('HostConfig.PidsLimit'),
    expected: 200,
  },
  {
    key: 'deploy.resources.reservations.cpus',
    spec: { deploy: { resources: { reservations: { cpus: '2' } } } },
    where: body('HostConfig.CpuShares'),
    expected: 2048,
  },
  {
    key: 'deploy.resources.reservations.memory',
    spec: { deploy: { resources: { reservations: { memory: '512m' } } } },
    where: body('HostConfig.MemoryReservation'),
    expected: 512 * 1024 ** 2,
  },
  ...(
    [
      ['driver', { driver: 'nvidia' }, 'Driver', 'nvidia'],
      ['count', { count: 2 }, 'Count', 2],
      ['device_ids', { device_ids: ['1'] }, 'DeviceIDs', ['1']],
      ['capabilities', { capabilities: ['gpu', 'compute'] }, 'Capabilities', [['gpu', 'compute']]],
      ['options', { options: { visible: 'yes' } }, 'Options', { visible: 'yes' }],
    ] as const
  ).map(([key, device, field, expected]): Case => ({
    key: `deploy.resources.reservations.devices[].${key}`,
    spec: { deploy: { resources: { reservations: { devices: [{ capabilities: ['gpu'], ...device }] } } } },
    where: body(`HostConfig.DeviceRequests.0.${field}`),
    expected,
  })),
  {
    key: 'device_cgroup_rules',
    spec: { device_cgroup_rules: ['c 1:3 mr'] },
    where: body('HostConfig.DeviceCgroupRules'),
    expected: ['c 1:3 mr'],
  },
  {
    key: 'devices',
    spec: { devices: ['/dev/fuse'] },
    where: body('HostConfig.Devices'),
    expected: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }],
  },
  {
    key: 'devices[].source',
    spec: { devices: [{ source: '/dev/ttyUSB0', target: '/dev/ttyS0', permissions: 'r' }] },
    where: body('HostConfig.Devices.0.PathOnHost'),
    expected: '/dev/ttyUSB0',
  },
  {
    key: 'devices[].target',
    spec: { devices: [{ source: '/dev/ttyUSB0', target: '/dev/ttyS0' }] },
    where: body('HostConfig.Devices.0.PathInContainer'),
    expected: '/dev/ttyS0',
  },
  {
    key: 'devices[].permissions',
    spec: { devices: [{ source: '/dev/ttyUSB0', permissions: 'r' }] },
    where: body('HostConfig.Devices.0.CgroupPermissions'),
    expected: 'r',
  },
  { key: 'dns', spec: { dns: '10.0.0.2' }, where: body('HostConfig.Dns'), expected: ['10.0.0.2'] },
  { key: 'dns_opt', spec: { dns_opt: ['ndots:1'] }, where: body('HostConfig.DnsOptions'), expected: ['ndots:1'] },
  {
    key: 'dns_search',
    spec: { dns_search: ['lab.example'] },
    where: body('HostConfig.DnsSearch'),
    expected: ['lab.example'],
  },
  { key: 'domainname', spec: { domainname: 'lab.example' }, where: body('Domainname'), expected: 'lab.example' },
  { key: 'entrypoint', spec: { entrypoint: ['tini', '--'] }, where: body('Entrypoint'), expected: ['tini', '--'] },
  { key: 'env_file', spec: { env_file: '/ws/.env' }, where: body('Env'), expected: ['FROM_FILE=1'] },
  { key: 'env_file[].path', spec: { env_file: [{ path: '/ws/.env' }] }, where: body('Env'), expected: ['FROM_FILE=1'] },
  {
    key: 'env_file[].required',
    spec: { env_file: [{ path: '/ws/missing.env', required: false }] },
    where: body('Env'),
    expected: undefined,
    without: { env_file: ['/ws/missing.env'] },
  },
  { key: 'environment', spec: { environment: { A: 1 } }, where: body('Env'), expected: ['A=1'] },
  { key: 'expose', spec: { expose: ['9000'] }, where: body('ExposedPorts'), expected: { '9000/tcp': {} } },
  {
    key: 'extra_hosts',
    spec: { extra_hosts: ['db.lab:10.0.0.5'] },
    where: body('HostConfig.ExtraHosts'),
    expected: ['db.lab:10.0.0.5'],
  },
  {
    key: 'group_add',
    spec: { group_add: ['video', 44] },
    where: body('HostConfig.GroupAdd'),
    expected: ['video', '44'],
  },
  {
    key: 'healthcheck.test',
    spec: { healthcheck: { test: 'true' } },
    where: body('Healthcheck.Test'),
    expected: ['CMD-SHELL', 'true'],
  },
  {
    key: 'healthcheck.interval',
    spec: { healthcheck: { test: 'true', interval: '2s' } },
    where: body('Healthcheck.Interval'),
    expected: 2e9,
  },
  {
    key: 'healthcheck.timeout',
    spec: { healthcheck: { test: 'true', timeout: '1s' } },
    where: body('Healthcheck.Timeout'),
    expected: 1e9,
  },
  {
    key: 'healthcheck.retries',
    spec: { healthcheck: { test: 'true', retries: 5 } },
    where: body('Healthcheck.Retries'),
    expected: 5,
  },
  {
    key: 'healthcheck.start_period',
    spec: { healthcheck: { test: 'true', start_period: '30s' } },
    where: body('Healthcheck.StartPeriod'),
    expected: 30e9,
  },
  {
    key: 'healthcheck.disable',
    spec: { healthcheck: { disable: true } },
    where: body('Healthcheck.Test'),
    expected: ['NONE'],
  },
  { key: 'hostname', spec: { hostname: 'nb' }, where: body('Hostname'), expected: 'nb' },
  { key: 'image', spec: { image: 'alpine:3' }, without: {}, where: body('Image'), expected: 'alpine:3' },
  { key: 'init', spec: { init: true }, where: body('HostConfig.Init'), expected: true },
  { key: 'ipc', spec: { ipc: 'host' }, where: body('HostConfig.IpcMode'), expected: 'host' },
  {
    key: 'labels',
    spec: { labels: { [LABEL.project]: 'p', team: 'nlp' } },
    where: body('Labels.team'),
    expected: 'nlp',
  },
  {
    key: 'logging.driver',
    spec: { logging: { driver: 'local' } },
    where: body('HostConfig.LogConfig.Type'),
    expected: 'local',
  },
  {
    key: 'logging.options',
    spec: { logging: { driver: 'json-file', options: { 'max-size': '10m' } } },
    where: body('HostConfig.LogConfig.Config'),
    expected: { 'max-size': '10m' },
  },
  { key: 'mem_limit', spec: { mem_limit: '1g' }, where: body('HostConfig.Memory'), expected: 1024 ** 3 },
  {
    key: 'mem_reservation',
    spec: { mem_reservation: '256m' },
    where: body('HostConfig.MemoryReservation'),
    expected: 256 * 1024 ** 2,
  },
  { key: 'mem_swappiness', spec: { mem_swappiness: 0 }, where: body('HostConfig.MemorySwappiness'), expected: 0 },
  {
    key: 'memswap_limit',
    spec: { memswap_limit: '2g' },
    where: body('HostConfig.MemorySwap'),
    expected: 2 * 1024 ** 3,
  },
  {
    key: 'network_mode',
    spec: { network_mode: 'service:db' },
    where: body('HostConfig.NetworkMode'),
    expected: 'container:ws-db-1',
  },
  { key: 'networks', spec: { networks: { back: null } }, where: 'networks', expected: [{ name: 'back', aliases: [] }] },
  {
    key: 'networks[].aliases',
    spec: { networks: { back: { aliases: ['api'] } } },
    where: body('NetworkingConfig.EndpointsConfig.back.Aliases'),
    expected: ['api'],
  },
  {
    key: 'oom_kill_disable',
    spec: { oom_kill_disable: true },
    where: body('HostConfig.OomKillDisable'),
    expected: true,
  },
  { key: 'oom_score_adj', spec: { oom_score_adj: 500 }, where: body('HostConfig.OomScoreAdj'), expected: 500 },
  { key: 'pid', spec: { pid: 'host' }, where: body('HostConfig.PidMode'), expected: 'host' },
  { key: 'pids_limit', spec: { pids_limit: 100 }, where: body('HostConfig.PidsLimit'), expected: 100 },
  {
    key: 'ports',
    spec: { ports: ['127.0.0.1:8080:80'] },
    where: body('HostConfig.PortBindings'),
    expected: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] },
  },
  { key: 'ports[].target', spec: { ports: [{ target: 80 }] }, where: body('ExposedPorts'), expected: { '80/tcp': {} } },
  {
    key: 'ports[].published',
    spec: { ports: [{ target: 80, published: 8080 }] },
    where: body('HostConfig.PortBindings.80/tcp.0.HostPort'),
    expected: '8080',
  },
  {
    key: 'ports[].host_ip',
    spec: { ports: [{ target: 80, host_ip: '127.0.0.1' }] },
    where: body('HostConfig.PortBindings.80/tcp.0.HostIp'),
    expected: '127.0.0.1',
  },
  {
    key: 'ports[].protocol',
    spec: { ports: [{ target: 53, protocol: 'udp' }] },
    where: body('ExposedPorts'),
    expected: { '53/udp': {} },
  },
  { key: 'privileged', spec: { privileged: true }, where: body('HostConfig.Privileged'), expected: true },
  { key: 'read_only', spec: { read_only: true }, where: body('HostConfig.ReadonlyRootfs'), expected: true },
  {
    key: 'restart',
    spec: { restart: 'on-failure:3' },
    where: body('HostConfig.RestartPolicy'),
    expected: { Name: 'on-failure', MaximumRetryCount: 3 },
  },
  { key: 'runtime', spec: { runtime: 'nvidia' }, where: body('HostConfig.Runtime'), expected: 'nvidia' },
  {
    key: 'security_opt',
    spec: { security_opt: ['seccomp=unconfined'] },
    where: body('HostConfig.SecurityOpt'),
    expected: ['seccomp=unconfined'],
  },
  { key: 'shm_size', spec: { shm_size: '1g' }, where: body('HostConfig.ShmSize'), expected: 1024 ** 3 },
  { key: 'stdin_open', spec: { stdin_open: true }, where: body('OpenStdin'), expected: true },
  { key: 'stop_grace_period', spec: { stop_grace_period: '1m' }, where: body('StopTimeout'), expected: 60 },
  { key: 'stop_signal', spec: { stop_signal: 'SIGINT' }, where: body('StopSignal'), expected: 'SIGINT' },
  {
    key: 'storage_opt',
    spec: { storage_opt: { size: '20G' } },
    where: body('HostConfig.StorageOpt'),
    expected: { size: '20G' },
  },
  {
    key: 'sysctls',
    spec: { sysctls: ['net.core.somaxconn=1024'] },
    where: body('HostConfig.Sysctls'),
    expected: { 'net.core.somaxconn': '1024' },
  },
  {
    key: 'tmpfs',
    spec: { tmpfs: ['/run', '/scratch:size=64m'] },
    where: body('HostConfig.Tmpfs'),
    expected: { '/run': '', '/scratch': 'size=64m' },
  },
  { key: 'tty', spec: { tty: true }, where: body('Tty'), expected: true },
  {
    key: 'ulimits',
    spec: { ulimits: { nproc: 512 } },
    where: body('HostConfig.Ulimits'),
    expected: [{ Name: 'nproc', Soft: 512, Hard: 512 }],
  },
  {
    key: 'ulimits[].soft',
    spec: { ulimits: { nofile: { soft: 1024, hard: 2048 } } },
    where: body('HostConfig.Ulimits.0.Soft'),
    expected: 1024,
  },
  {
    key: 'ulimits[].hard',
    spec: { ulimits: { nofile: { soft: 1024, hard: 2048 } } },
    where: body('HostConfig.Ulimits.0.Hard'),
    expected: 2048,
  },
  { key: 'user', spec: { user: '1000:1000' }, where: body('User'), expected: '1000:1000' },
  { key: 'userns_mode', spec: { userns_mode: 'host' }, where: body('HostConfig.UsernsMode'), expected: 'host' },
  { key: 'uts', spec: { uts: 'host' }, where: body('HostConfig.UTSMode'), expected: 'host' },
  {
    key: 'volumes',
    spec: { volumes: ['data:/data:ro'] },
    where: body('HostConfig.Binds'),
    expected: ['ws_data:/data:ro'],
  },
  {
    key: 'volumes[].type',
    spec: { volumes: [{ type: 'tmpfs', target: '/t' }] },
    where: body('HostConfig.Mounts.0.Type'),
    expected: 'tmpfs',
  },
  {
    key: 'volumes[].source',
    spec: { volumes: [{ type: 'bind', source: '/srv', target: '/t' }] },
    where: body('HostConfig.Mounts.0.Source'),
    expected: '/srv',
  },
  {
    key: 'volumes[].target',
    spec: { volumes: [{ type: 'volume', source: 'data', target: '/t' }] },
    where: body('HostConfig.Mounts.0.Target'),
    expected: '/t',
  },
  {
    key: 'volumes[].read_only',
    spec: { volumes: [{ type: 'bind', source: '/srv', target: '/t', read_only: true }] },
    where: body('HostConfig.Mounts.0.ReadOnly'),
    expected: true,
  },
  {
    key: 'volumes[].bind.propagation',
    spec: { volumes: [{ type: 'bind', source: '/srv', target: '/t', bind: { propagation: 'rslave' } }] },
    where: body('HostConfig.Mounts.0.BindOptions.Propagation'),
    expected: 'rslave',
  },
  {
    key: 'volumes[].volume.nocopy',
    spec: { volumes: [{ type: 'volume', source: 'data', target: '/t', volume: { nocopy: true } }] },
    where: body('HostConfig.Mounts.0.VolumeOptions.NoCopy'),
    expected: true,
  },
  {
    key: 'volumes[].tmpfs.size',
    spec: { volumes: [{ type: 'tmpfs', target: '/t', tmpfs: { size: '64m' } }] },
    where: body('HostConfig.Mounts.0.TmpfsOptions.SizeBytes'),
    expected: 64 * 1024 ** 2,
  },
  {
    key: 'volumes[].tmpfs.mode',
    spec: { volumes: [{ type: 'tmpfs', target: '/t', tmpfs: { mode: 0o1777 } }] },
    where: body('HostConfig.Mounts.0.TmpfsOptions.Mode'),
    expected: 0o1777,
  },
  { key: 'working_dir', spec: { working_dir: '/work' }, where: body('WorkingDir'), expected: '/work' },
];

describe('every applied Compose service key reaches the Engine API body', () => {
  const outcome = (spec: ServiceSpec) => {
    try {
      return JSON.stringify(desiredOf(spec));
    } catch (error) {
      return `refused: ${(error as Error).message}`;
    }
  };

  it.each(CASES.map((c) => [c.key, c] as const))('%s', (_key, { spec, where, expected, without }) => {
    expect(at(desiredOf(spec), where)).toEqual(expected);
    // And it is the key's effect: without it, what envctl asks of the engine differs.
    expect(outcome(spec)).not.toBe(outcome(without ?? { image: spec.image ?? 'busybox' }));
  });

  it('no key is on the applied list without a case proving its effect', () => {
    const proven = CASES.map((c) => c.key);
    const unproven = appliedPaths().filter(
      (path) => !proven.some((key) => key === path || key.startsWith(`${path}.`) || key.startsWith(`${path}[]`)),
    );
    expect(unproven).toEqual([]);
  });

  it('every case proves a key that is on the applied list', () => {
    const applied = new Set(appliedPaths());
    expect(CASES.map((c) => c.key).filter((key) => !applied.has(key))).toEqual([]);
  });
});

/** The swarm service of "web" (its spec and the warnings said), or the refusal of its translation. */
function swarmOutcome(spec: ServiceSpec): string {
  try {
    const desired = desiredStateOf(spec);
    // The manager builds what has a build section: its inputs make the image, which the task runs by id.
    const built = new Map(
      desired.services.flatMap((service) =>
        service.build ? [[service.image, `sha256:${hashOf(service.build)}`]] : [],
      ),
    );
    const translated = swarmDesired(desired, new Map(), undefined, built);
    const web = translated.services.find((service) => service.project === 'p')?.spec;
    // The hashes of the spec say that it changed, not what: left out, the rest says whether a key had an effect.
    return JSON.stringify([web, translated.warnings], (key, value: unknown) => (/hash/.test(key) ? undefined : value));
  } catch (error) {
    return `refused: ${(error as Error).message}`;
  }
}

/** Keys a swarm applies without a setting of its own: the service spec stays the same, as the table says. */
const NOTHING_TO_SET = ['expose'];

describe("the key table's swarm column", () => {
  const onSwarm = new Set(appliedPaths(SERVICE_KEYS, 'swarm'));
  const topOf = (key: string) => key.split(/[.[]/)[0]!;
  const appliedOnSwarm = CASES.filter((c) => onSwarm.has(c.key) && !NOTHING_TO_SET.includes(topOf(c.key)));
  // The driver's case is what envctl renders itself (nvidia), which a swarm accepts: proven apart below.
  const refusedOnSwarm = CASES.filter((c) => !onSwarm.has(c.key) && !c.key.endsWith('devices[].driver'));

  it('says for every key applied on one engine what a swarm does with it', () => {
    const silent = Object.entries(SERVICE_KEYS).filter(([, rule]) => rule.kind === 'applied' && !rule.swarm);
    expect(silent.map(([key]) => key)).toEqual([]);
  });

  it('leaves no applied case out of one of the two lists below', () => {
    expect(appliedOnSwarm.length + refusedOnSwarm.length).toBeGreaterThan(CASES.length - 3);
    expect(appliedOnSwarm.length).toBeGreaterThan(20);
    expect(refusedOnSwarm.length).toBeGreaterThan(20);
  });

  it.each(appliedOnSwarm.map((c) => [c.key, c] as const))('%s changes the swarm service', (_key, { spec, without }) => {
    expect(
      modelProblems({ services: { web: { image: 'busybox', ...spec }, db: { image: 'busybox' } } }, 'swarm'),
    ).toEqual([]);
    const outcome = swarmOutcome(spec);
    expect(outcome).not.toMatch(/^refused/);
    expect(outcome).not.toBe(swarmOutcome(without ?? { image: spec.image ?? 'busybox' }));
  });

  it.each(NOTHING_TO_SET)('%s is accepted on a swarm and changes nothing there', (key) => {
    const spec = CASES.find((c) => c.key === key)!.spec;
    expect(modelProblems({ services: { web: { image: 'busybox', ...spec } } }, 'swarm')).toEqual([]);
    expect(swarmOutcome(spec)).toBe(swarmOutcome({ image: 'busybox' }));
  });

  it.each(refusedOnSwarm.map((c) => [c.key, c] as const))('%s is refused on a swarm, by name', (key, { spec }) => {
    const problems = modelProblems(
      { services: { web: { image: 'busybox', ...spec }, db: { image: 'busybox' } } },
      'swarm',
    );
    expect(problems.length, JSON.stringify(spec)).toBeGreaterThan(0);
    expect(problems[0]!.message).toMatch(/which envctl does not apply on a swarm: /);
    expect(key.startsWith(String(problems[0]!.path[2]))).toBe(true);
  });

  it('accepts on a swarm the GPU reservation envctl renders from gpus:, and nothing else', () => {
    const reserving = (device: Record<string, unknown>) => ({
      services: { web: { image: 'busybox', deploy: { resources: { reservations: { devices: [device] } } } } },
    });
    expect(modelProblems(reserving({ driver: 'nvidia', count: 1, capabilities: ['gpu'] }), 'swarm')).toEqual([]);
    const paths = (device: Record<string, unknown>) =>
      modelProblems(reserving(device), 'swarm').map((problem) => problem.path.slice(-1)[0]);
    expect(paths({ driver: 'amd', count: 1 })).toEqual(['driver']);
    expect(paths({ count: 1, capabilities: ['gpu', 'compute'] })).toEqual(['capabilities']);
  });

  it("refuses on a swarm the Swarm settings one engine refuses, for a swarm's own reasons; accepts what it does", () => {
    const problems = modelProblems(
      { services: { web: { image: 'busybox', deploy: { placement: { constraints: ['node.role==manager'] } } } } },
      'swarm',
    );
    expect(problems[0]!.message).toContain("write placement: in the project's envctl.yml");
    const defaults = { deploy: { mode: 'replicated', endpoint_mode: 'dnsrr' }, ports: [{ target: 80, mode: 'host' }] };
    expect(modelProblems({ services: { web: { image: 'busybox', ...defaults } } }, 'swarm')).toEqual([]);
    expect(
      modelProblems({ services: { web: { image: 'busybox', ...defaults } } }).map((p) => p.path.join('.')),
    ).toEqual(['services.web.deploy.endpoint_mode']);
  });
});

describe('every other key is refused at render, by name', () => {
  const problemsOf = (web: ServiceSpec, extra: Record<string, unknown> = {}) =>
    modelProblems({ services: { web: { image: 'busybox', ...web }, db: { image: 'busybox' } }, ...extra });

  it.each([
    [{ container_name: 'mine' }, 'services.web.container_name'],
    [{ deploy: { placement: { constraints: ['node.role==manager'] } } }, 'services.web.deploy.placement'],
    [
      { deploy: { resources: { reservations: { generic_resources: [] } } } },
      'services.web.deploy.resources.reservations.generic_resources',
    ],
    [{ build: { context: '.', ssh: ['default'] } }, 'services.web.build.ssh'],
    [{ ports: [{ target: 80, mode: 'ingress' }] }, 'services.web.ports.0.mode'],
    [{ depends_on: { db: { condition: 'service_started', required: false } } }, 'services.web.depends_on.db.required'],
    [{ healthcheck: { test: 'true', start_interval: '1s' } }, 'services.web.healthcheck.start_interval'],
    [
      { volumes: [{ type: 'bind', source: '/x', target: '/y', bind: { create_host_path: false } }] },
      'services.web.volumes.0.bind.create_host_path',
    ],
    [{ gpus: 'all' }, 'services.web.gpus'],
    [{ network_mode: 'bridge' }, 'services.web.network_mode'],
    [{ network_mode: 'host', ports: ['80'] }, 'services.web.ports'],
    [{ pid: 'service:db' }, 'services.web.pid'],
    [{ depends_on: ['dbb'] }, 'services.web.depends_on.dbb'],
    [{ mem_limit: '1g', deploy: { resources: { limits: { memory: '2g' } } } }, 'services.web.mem_limit'],
  ])('%j', (web, path) => {
    const problems = problemsOf(web);
    expect(problems.map((problem) => problem.path.join('.'))).toEqual([path]);
    expect(problems[0]!.message).toMatch(/service "web"/);
  });

  it('accepts the Compose defaults of refused keys (they change nothing)', () => {
    expect(
      problemsOf({
        scale: 1,
        deploy: { replicas: 1, mode: 'replicated' },
        ports: [{ target: 80, mode: 'host' }],
        depends_on: { db: { condition: 'service_started', required: true, restart: false } },
      }),
    ).toEqual([]);
  });

  it('refuses top-level keys, network and volume keys it does not apply (version, obsolete, is accepted)', () => {
    const problems = modelProblems({
      version: '3.9',
      services: {},
      networks: { back: { ipam: {} } },
      volumes: { data: { driver: 'local', bogus: 1 } },
      secrets: { s: { file: 'x' } },
      include: ['other.yml'],
      name: 'mine',
    });
    expect(problems.map((problem) => problem.path.join('.'))).toEqual([
      'networks.back.ipam',
      'volumes.data.bogus',
      'secrets',
      'include',
      'name',
    ]);
  });
});

describe("the README's table of Compose keys", () => {
  it('names every service key of the Compose Specification, as applied or refused on each target', () => {
    const schema = JSON.parse(readFileSync(new URL('../../schema/compose-spec.json', import.meta.url), 'utf8'));
    const specKeys = Object.keys(schema.definitions.service.properties);
    expect(Object.keys(SERVICE_KEYS).sort()).toEqual([...specKeys].sort());
  });

  it('is the table of service-keys.ts, as npm run readme:keys writes it', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf(KEY_TABLE_START);
    const end = readme.indexOf(KEY_TABLE_END);
    expect(start, 'the start marker').toBeGreaterThan(0);
    expect(readme.slice(start + KEY_TABLE_START.length, end).trim()).toBe(keyTableMarkdown());
    for (const key of Object.keys(SERVICE_KEYS)) expect(keyTableMarkdown()).toContain(`| \`${key}\` |`);
  });
});

describe("the key table's Slurm column", () => {
  it('names only keys of the table', () => {
    const paths = new Set([...appliedPaths(SERVICE_KEYS, 'engine'), ...refusedPaths(SERVICE_KEYS, 'engine', '')]);
    expect(Object.keys(SLURM_VERDICTS).filter((path) => !paths.has(path))).toEqual([]);
  });

  it('applies what a batch job runs, and refuses by name what an unprivileged runtime has no place for', () => {
    const service = {
      image: 'busybox',
      command: ['sh'],
      environment: { A: '1' },
      volumes: ['./:/work'],
      ports: ['8080'],
      working_dir: '/work',
      restart: 'unless-stopped',
      init: true,
      build: { context: '.', args: { X: '1' } },
      deploy: { resources: { limits: { cpus: '2', memory: '1g' } } },
    };
    expect(modelProblems({ services: { web: service } }, 'slurm')).toEqual([]);
    const odd = { image: 'busybox', privileged: true, user: '1000', hostname: 'x', scale: 1 };
    const refused = modelProblems({ services: { web: odd } }, 'slurm').map((problem) => problem.path.join('.'));
    expect(refused).toEqual(['services.web.privileged', 'services.web.user', 'services.web.hostname']);
    const pids = { image: 'busybox', deploy: { resources: { limits: { pids: 10 } } } };
    expect(modelProblems({ services: { web: pids } }, 'slurm')[0]!.message).toContain(
      "Slurm does not limit a job's processes",
    );
  });
});
