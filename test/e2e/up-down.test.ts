import { chmodSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/model/labels.js';
import { CLI, envctl } from '../support/workspace.js';
import {
  docker,
  engineAnswers,
  engineWorkspaces,
  httpGet,
  onGpuMachine,
  webProject,
  workspaceContainers,
  workspaceNetworks,
} from './engine-support.js';

const hasEngine = await engineAnswers();
const workspace = engineWorkspaces();
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function up(root: string, ...args: string[]) {
  const result = await envctl(root, ['up', '-d', ...args], onGpuMachine('geforce-5gpu'));
  expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
  return result;
}

async function portsOf(root: string): Promise<Record<string, number>> {
  const containers = await workspaceContainers(root);
  return Object.fromEntries(
    containers.map((c) => [c.Labels[LABEL.project]!, c.Ports.find((p) => p.PublicPort)!.PublicPort]),
  );
}

async function idsOf(root: string): Promise<Record<string, string>> {
  const containers = await workspaceContainers(root);
  return Object.fromEntries(containers.map((c) => [c.Labels[LABEL.project]!, c.Id]));
}

describe.runIf(hasEngine)('envctl up / down on a real engine', () => {
  it('runs two projects that prefer the same host port, both serving HTTP on distinct ports', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "18100-18199"\n',
      'which-project': 'alpha\nbeta\n',
      'projects/alpha/envctl.yml': webProject('ports: { http: 18100 }\n'),
      'projects/beta/envctl.yml': webProject('ports: { http: 18100 }\n'),
    });
    await up(root);
    const ports = await portsOf(root);
    expect(new Set(Object.values(ports)).size).toBe(2);
    expect((await httpGet(`http://127.0.0.1:${ports.alpha}/`)).body).toBe('alpha hello \n');
    expect((await httpGet(`http://127.0.0.1:${ports.beta}/`)).body).toBe('beta hello \n');
  });

  it('skips a host port that a foreign process listens on', async () => {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen({ port: 18200, host: '127.0.0.1' }, resolve));
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "18200-18299"\n',
      'which-project': 'alpha\n',
      'projects/alpha/envctl.yml': webProject('ports: { http: 18200 }\n'),
    });
    await up(root);
    const ports = await portsOf(root);
    expect(ports.alpha).toBe(18201);
    expect((await httpGet('http://127.0.0.1:18201/')).body).toBe('alpha hello \n');
  });

  it("recreates nothing on a second up, and only the changed project when one project's env changes", async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "18300-18399"\n',
      'which-project': 'alpha\nbeta\n',
      'projects/alpha/envctl.yml': webProject(),
      'projects/beta/envctl.yml': webProject(),
    });
    await up(root);
    const before = await idsOf(root);
    const again = await up(root);
    expect(again.stdout).toContain('Nothing to do');
    expect(await idsOf(root)).toEqual(before);

    writeFileSync(join(root, 'projects', 'alpha', 'envctl.yml'), webProject('env: { GREETING: changed }\n'));
    const changed = await up(root);
    expect(changed.stdout).toContain('alpha: recreated');
    expect(changed.stdout).not.toContain('beta:');
    const after = await idsOf(root);
    expect(after.beta).toBe(before.beta);
    expect(after.alpha).not.toBe(before.alpha);
    const ports = await portsOf(root);
    expect((await httpGet(`http://127.0.0.1:${ports.alpha}/`)).body).toBe('alpha hello changed\n');
  });

  it('removes a project that leaves which-project, keeping its named volume, and down leaves nothing', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "18400-18499"\n',
      'which-project': 'alpha\nbeta\n',
      'projects/alpha/envctl.yml': webProject(),
      'projects/beta/envctl.yml': webProject(),
      'projects/beta/compose.yml':
        'services:\n  web:\n    volumes: ["data:/data"]\n  side:\n    image: busybox:latest\n    command: ["sleep", "3600"]\n    stop_signal: ' +
        'SIGKILL\nvolumes:\n  data: {}\n',
    });
    await up(root);
    expect((await workspaceNetworks(root)).map((n) => n.Name).sort()).toEqual(
      [`envctl_${root.split('/').pop()!.toLowerCase()}`, `envctl_${root.split('/').pop()!.toLowerCase()}_beta`].sort(),
    );
    writeFileSync(join(root, 'which-project'), 'alpha\n');
    const result = await up(root);
    expect(result.stdout).toContain('project beta is no longer in which-project');
    const containers = await workspaceContainers(root);
    expect(containers.map((c) => c.Labels[LABEL.project])).toEqual(['alpha']);
    const volumes = await docker.listVolumes({
      filters: { label: [`${LABEL.project}=beta`, `${LABEL.root}=${root}`] },
    });
    expect(volumes.Volumes?.map((v) => v.Name)).toHaveLength(1);
    expect((await workspaceNetworks(root)).map((n) => n.Labels?.[LABEL.project])).toEqual([undefined]);

    const down = await envctl(root, ['down']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await workspaceContainers(root)).toEqual([]);
    expect(await workspaceNetworks(root)).toEqual([]);
    expect((await docker.listVolumes({ filters: { label: [`${LABEL.root}=${root}`] } })).Volumes).toHaveLength(1);
  });

  it('gives a project with gpus: [1] exactly GPU 1 (stand-in NVIDIA hook)', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "18500-18599"\n',
      'which-project': 'gpu\n',
      'projects/gpu/envctl.yml': webProject('gpus: [1]\n'),
    });
    await up(root);
    const ports = await portsOf(root);
    const env = (await httpGet(`http://127.0.0.1:${ports.gpu}/env.txt`)).body;
    expect(env).toMatch(/^NVIDIA_VISIBLE_DEVICES=1$/m);
  });

  it('lists what envctl started in docker-compose ps', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "18600-18699"\n',
      'which-project': 'alpha\n',
      'projects/alpha/envctl.yml': webProject(),
    });
    await up(root);
    const { execa } = await import('execa');
    const ps = await execa('docker-compose', ['ps'], { cwd: join(root, 'compose'), reject: false });
    expect(ps.exitCode, ps.stderr).toBe(0);
    expect(ps.stdout).toMatch(/alpha-web-1 .* Up /);
  });

  it('moves a port taken after render to another one', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "18700-18799"\n',
      'which-project': 'alpha\n',
      'projects/alpha/envctl.yml': webProject('ports: { http: 18700 }\n'),
    });
    const rendered = await envctl(root, ['render', '--json']);
    expect(JSON.parse(rendered.stdout).projects[0].ports[0].hostPort).toBe(18700);
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen({ port: 18700, host: '0.0.0.0' }, resolve));
    await up(root);
    expect((await portsOf(root)).alpha).toBe(18701);
  });

  it("removes only the failing project's new containers when one will not start, and exits non-zero", async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "18800-18899"\n',
      'which-project': 'good\nbad\n',
      'projects/good/envctl.yml': webProject(),
      'projects/bad/envctl.yml': webProject(),
      'projects/bad/compose.yml': 'services:\n  web:\n    command: ["/no/such/program"]\n',
    });
    const result = await envctl(root, ['up', '-d']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('bad: nothing of it was left running');
    expect(result.stderr).toContain('no/such/program');
    const containers = await workspaceContainers(root);
    expect(containers.map((c) => `${c.Labels[LABEL.project]} ${c.State}`)).toEqual(['good running']);
  });

  it('says which address it tried when no engine answers', async () => {
    const root = workspace({ 'which-project': 'alpha\n', 'projects/alpha/envctl.yml': webProject() });
    const result = await envctl(root, ['up', '-d'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('No Docker Engine answers at DOCKER_HOST=unix:///nonexistent/docker.sock');
    expect(result.stderr).toContain('systemctl start docker');
  });

  it.runIf(process.getuid?.() === 0)(
    'tells a user outside the docker group so, not to start the engine that runs',
    async () => {
      const root = workspace({ 'which-project': 'alpha\n', 'projects/alpha/envctl.yml': webProject() });
      chmodSync(root, 0o755);
      // nobody is in no docker group: the engine's socket (root:docker 660) refuses it, as for a new user.
      const result = await execa('runuser', ['-u', 'nobody', '--', process.execPath, CLI, 'ps'], {
        cwd: root,
        reject: false,
        env: { NO_COLOR: '1', HOME: root },
      });
      expect(result.exitCode, result.stderr).toBe(3);
      expect(result.stderr).toContain('runs, but its socket refused you (permission denied)');
      expect(result.stderr).toContain('You are not in the docker group: sudo usermod -aG docker $USER');
      expect(result.stderr).not.toContain('systemctl start docker');
    },
  );
});
