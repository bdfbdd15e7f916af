import { describe, expect, it } from 'vitest';
import { envctl } from '../support/workspace.js';
import { docker, engineAnswers, engineWorkspaces, workspaceContainers } from './engine-support.js';

const hasEngine = await engineAnswers();
const workspace = engineWorkspaces();

async function inspect(root: string, service: string) {
  const info = (await workspaceContainers(root)).find((c) => c.Labels['dev.envctl.service'] === service);
  expect(info, service).toBeDefined();
  return docker.getContainer(info!.Id).inspect();
}

async function exec(root: string, service: string, command: string): Promise<string> {
  const info = (await workspaceContainers(root)).find((c) => c.Labels['dev.envctl.service'] === service)!;
  const run = await docker
    .getContainer(info.Id)
    .exec({ Cmd: ['sh', '-c', command], AttachStdout: true, AttachStderr: true });
  const stream = await run.start({});
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', resolve);
  });
  // Multiplexed stream: 8-byte frame headers before each chunk of output.
  const all = Buffer.concat(chunks);
  let text = '';
  for (let at = 0; at + 8 <= all.length;) {
    const size = all.readUInt32BE(at + 4);
    text += all.subarray(at + 8, at + 8 + size).toString();
    at += 8 + size;
  }
  return text.trim();
}

describe.runIf(hasEngine)('Compose keys on the real engine', () => {
  it('applies limits, ulimits, devices, sysctls, tmpfs, group_add, security_opt and pid as the container sees them', async () => {
    const root = workspace({
      'which-project': 'limits\n',
      'projects/limits/compose.yml': [
        'services:',
        '  box:',
        '    image: busybox',
        '    command: ["sleep", "600"]',
        '    ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: 512 }',
        '    devices: ["/dev/null:/dev/envctl-null:rw"]',
        '    deploy: { resources: { limits: { cpus: "0.5", memory: 64m, pids: 100 }, reservations: { memory: 32m, cpus: "0.25" } } }',
        '    sysctls: { net.ipv4.ip_unprivileged_port_start: "80" }',
        '    tmpfs: ["/scratch:size=8m"]',
        '    group_add: ["44"]',
        '    security_opt: ["no-new-privileges:true"]',
        '    pid: host',
        '',
      ].join('\n'),
    });
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    const info = await inspect(root, 'box');
    expect(info.HostConfig.Ulimits).toEqual(
      expect.arrayContaining([
        { Name: 'nofile', Soft: 1024, Hard: 2048 },
        { Name: 'nproc', Soft: 512, Hard: 512 },
      ]),
    );
    expect(info.HostConfig.NanoCpus).toBe(5e8);
    expect(info.HostConfig.Memory).toBe(64 * 1024 ** 2);
    expect(info.HostConfig.MemoryReservation).toBe(32 * 1024 ** 2);
    expect(info.HostConfig.CpuShares).toBe(256);
    expect(info.HostConfig.PidsLimit).toBe(100);
    expect(info.HostConfig.PidMode).toBe('host');
    // What the container itself sees.
    expect(await exec(root, 'box', 'ulimit -n')).toBe('1024');
    expect(await exec(root, 'box', 'ls -l /dev/envctl-null | cut -c1')).toBe('c');
    expect(await exec(root, 'box', 'cat /proc/sys/net/ipv4/ip_unprivileged_port_start')).toBe('80');
    expect(await exec(root, 'box', 'grep " /scratch " /proc/mounts | cut -d" " -f3')).toBe('tmpfs');
    expect((await exec(root, 'box', 'id -G')).split(' ')).toContain('44');
    expect(await exec(root, 'box', 'grep NoNewPrivs /proc/self/status | tr -d "\\t "')).toBe('NoNewPrivs:1');
    // pid: host shows the host's processes, dockerd among them.
    expect(await exec(root, 'box', 'cat /proc/*/comm 2>/dev/null | grep -c dockerd')).not.toBe('0');
    const render = await envctl(root, ['render', '--check']);
    expect(render.exitCode, render.stderr).toBe(0);
  });

  it('starts a service only once its dependency is healthy, and after one that completed successfully', async () => {
    const root = workspace({
      'which-project': 'ordered\n',
      'projects/ordered/compose.yml': [
        'services:',
        '  migrate:',
        '    image: busybox',
        '    command: ["sh", "-c", "sleep 1; echo done > /shared/migrated"]',
        '    volumes: ["shared:/shared"]',
        '  db:',
        '    image: busybox',
        '    command: ["sh", "-c", "sleep 2; touch /tmp/ready; sleep 600"]',
        '    healthcheck: { test: "test -f /tmp/ready", interval: 500ms, retries: 20 }',
        '  app:',
        '    image: busybox',
        '    command: ["sh", "-c", "cat /shared/migrated > /tmp/seen; sleep 600"]',
        '    volumes: ["shared:/shared"]',
        '    depends_on:',
        '      db: { condition: service_healthy }',
        '      migrate: { condition: service_completed_successfully }',
        'volumes:',
        '  shared: {}',
        '',
      ].join('\n'),
    });
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    const [db, app, migrate] = await Promise.all([inspect(root, 'db'), inspect(root, 'app'), inspect(root, 'migrate')]);
    expect(db.State.Health?.Status).toBe('healthy');
    expect(migrate.State.ExitCode).toBe(0);
    // app started after db became healthy (2 s into db's life) and after migrate finished.
    expect(Date.parse(app.State.StartedAt)).toBeGreaterThan(Date.parse(db.State.StartedAt) + 1500);
    expect(Date.parse(app.State.StartedAt)).toBeGreaterThanOrEqual(Date.parse(migrate.State.FinishedAt));
    expect(await exec(root, 'app', 'cat /tmp/seen')).toBe('done');
  });

  it("fails the project with the dependency's last health output when it turns unhealthy", async () => {
    const root = workspace({
      'which-project': 'sick\n',
      'projects/sick/compose.yml': [
        'services:',
        '  db:',
        '    image: busybox',
        '    command: ["sleep", "600"]',
        '    healthcheck: { test: "echo database not ready; exit 1", interval: 300ms, retries: 2 }',
        '  app:',
        '    image: busybox',
        '    command: ["sleep", "600"]',
        '    depends_on: { db: { condition: service_healthy } }',
        '',
      ].join('\n'),
    });
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode).toBe(3);
    expect(up.stderr).toContain('is unhealthy');
    expect(up.stderr).toContain('database not ready');
    // Nothing of the failed project is left running.
    expect((await workspaceContainers(root)).filter((c) => c.State === 'running')).toEqual([]);
  });
});
