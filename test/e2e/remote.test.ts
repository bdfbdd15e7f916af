import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/model/labels.js';
import { CLI, envctl } from '../support/workspace.js';
import { docker, engineAnswers, engineWorkspaces, hasImage, httpGet } from './engine-support.js';
import { RemoteHost } from './remote-host.js';

/**
 * A workspace on a "remote GPU server": a network namespace with its own sshd and dockerd, reached only over
 * SSH, whose nvidia-smi reports five GPUs this machine does not have. Host ports 29200-29299 are this file's.
 */
const hasEngine = await engineAnswers();
const canBuildHost =
  hasEngine &&
  (await execa('sh', ['-c', 'command -v sshd unison nsenter']).then(
    () => true,
    () => false,
  ));
const workspace = engineWorkspaces();
const server = new RemoteHost('geforce-5gpu');

beforeAll(async () => {
  if (!canBuildHost) return;
  if (process.env.CI === 'true' || (await hasImage('busybox:latest'))) {
    await server.start();
    await server.loadFrom('busybox:latest');
  }
}, 120_000);
afterAll(() => server.remove());

function remoteWorkspace(files: Record<string, string>, settings = ''): string {
  return workspace({
    'workspace.yml':
      `engine: ${server.engineUrl}\nports:\n  range: "29200-29299"\nremote:\n  root: ${server.remoteRoot}/${Math.random().toString(36).slice(2)}\n` +
      settings,
    ...files,
  });
}

const sshEnv = () => ({ ENVCTL_SSH_COMMAND: server.sshCommand });
const run = (root: string, args: string[]) => envctl(root, args, sshEnv());
const remoteRootOf = (root: string) => /root: (\S+)/.exec(readFileSync(join(root, 'workspace.yml'), 'utf8'))![1]!;

async function serverContainers(root: string) {
  return server.docker.listContainers({ all: true, filters: { label: [`${LABEL.root}=${root}`] } });
}

async function until<T>(
  read: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function listenLocally(port: number): Promise<Server> {
  return new Promise((resolve) => {
    const local = createServer();
    local.listen(port, '127.0.0.1', () => resolve(local));
  });
}

describe.runIf(canBuildHost)('a workspace on a remote server over SSH (netns + sshd + dockerd)', () => {
  it("allocates ports on the server, syncs the project folder both ways, and forwards the URL to this machine's 127.0.0.1", async () => {
    const root = remoteWorkspace({
      'which-project': 'site\n',
      'projects/site/envctl.yml': 'template: web\nports: { http: 29200 }\n',
      'projects/site/compose.yml': 'services:\n  web:\n    volumes:\n      - ./:/work\n',
      'projects/site/notes.md': 'written on the laptop\n',
    });
    // 29200 is held on the server (skipped there); 29201 only here (free on the server, so used there).
    const releaseRemote = await server.holdPort(29200);
    const local = await listenLocally(29201);
    try {
      const up = execa('node', [CLI, 'up'], { cwd: root, reject: false, env: { NO_COLOR: '1', ...sshEnv() } });
      let printed = '';
      up.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
      const url = await until(() => /http:\/\/127\.0\.0\.1:\d+\//.exec(printed)?.[0], 'the URL');

      const [container] = await serverContainers(root);
      expect(container?.Ports.map((port) => port.PublicPort)).toEqual([29201]);
      expect(url).not.toBe('http://127.0.0.1:29201/');
      // Skipped by the probe of the server's listeners, not found taken when the container started.
      expect(printed).not.toContain('at the last moment');
      expect((await httpGet(url)).body).toBe('site hello \n');
      expect(readFileSync(join(remoteRootOf(root), 'projects', 'site', 'notes.md'), 'utf8')).toBe(
        'written on the laptop\n',
      );

      // exec and shell go through the same forwarded engine socket.
      const exec = await run(root, ['exec', 'site', '--', 'cat', '/work/notes.md']);
      expect(exec.stdout).toBe('written on the laptop');

      const ps = await run(root, ['ps']);
      expect(ps.stdout).toContain(`${url} => ${server.address}:29201`);
      // The server's engine is where its DOCKER_HOST says, not on the default socket, and ps says so.
      expect(ps.stdout).toContain(
        `On ${server.address}: the engine at unix://${server.socket} (found by its docker CLI`,
      );

      // A file the container writes on the server comes back to the laptop while up runs.
      await server.docker
        .getContainer(container!.Id)
        .exec({ Cmd: ['sh', '-c', 'echo saved on the server > /work/out.txt'] })
        .then((exec) => exec.start({}));
      const back = join(root, 'projects', 'site', 'out.txt');
      expect(await until(() => (existsSync(back) ? readFileSync(back, 'utf8') : undefined), 'the sync back')).toBe(
        'saved on the server\n',
      );

      up.kill('SIGINT');
      await up;
      expect(printed).toContain('Stopped 1 container');
    } finally {
      releaseRemote();
      local.close();
    }
    const down = await run(root, ['down']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await serverContainers(root)).toEqual([]);
    const networks = await server.docker.listNetworks({ filters: { label: [`${LABEL.root}=${root}`] } });
    expect(networks).toEqual([]);
  }, 90_000);

  it("gives a GPU from the server's nvidia-smi; a detached workspace is reached through envctl tunnel", async () => {
    const root = remoteWorkspace({
      'which-project': 'train\n',
      'projects/train/envctl.yml': 'template: web\ngpus: 1\n',
    });
    const up = await run(root, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stdout).toContain('"envctl tunnel" forwards them to this machine');

    const gpus = await run(root, ['gpus', '--json']);
    expect(gpus.exitCode, gpus.stderr).toBe(0);
    const rows = JSON.parse(gpus.stdout) as Array<{ id: string; name: string; heldBy: Array<{ project: string }> }>;
    expect(rows.map((row) => row.name)).toContain('GeForce GTX 1080 Ti');
    const held = rows.filter((row) => row.heldBy.some((holder) => holder.project === 'train'));
    expect(held).toHaveLength(1);
    // This machine has no nvidia-smi: the GPUs came from the server's. Here the list is empty, and says why.
    const here = await envctl(root, ['gpus', '--engine', 'unix:///var/run/docker.sock']);
    expect([here.exitCode, here.stdout]).toEqual([0, expect.stringMatching(/^No GPU to list: .*nvidia-smi/)]);
    const hereJson = await envctl(root, ['gpus', '--json', '--engine', 'unix:///var/run/docker.sock']);
    expect([hereJson.exitCode, JSON.parse(hereJson.stdout)]).toEqual([0, []]);

    const tunnel = execa('node', [CLI, 'tunnel', '--json'], {
      cwd: root,
      reject: false,
      env: { NO_COLOR: '1', ...sshEnv() },
    });
    let printed = '';
    tunnel.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const forwards = await until(() => {
      try {
        return JSON.parse(printed) as Array<{ local: number; remote: number }>;
      } catch {
        return undefined;
      }
    }, 'the forwards');
    const env = (await httpGet(`http://127.0.0.1:${forwards[0]!.local}/env.txt`)).body;
    expect(/^NVIDIA_VISIBLE_DEVICES=(.*)$/m.exec(env)?.[1]).toBe(held[0]!.id);
    tunnel.kill('SIGINT');
    await tunnel;
    expect((await run(root, ['down'])).exitCode).toBe(0);
  }, 90_000);

  it('up -d --watch on a server: a project added to which-project starts there and its forward opens here', async () => {
    const root = remoteWorkspace({
      'which-project': 'one\n',
      'projects/one/envctl.yml': 'template: web\nports: { http: 29250 }\n',
      'projects/two/envctl.yml': 'template: web\nports: { http: 29260 }\nparams: { message: second }\n',
    });
    const watch = execa('node', [CLI, 'up', '-d', '--watch'], {
      cwd: root,
      reject: false,
      env: { NO_COLOR: '1', ...sshEnv() },
    });
    let printed = '';
    watch.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    try {
      await until(() => (printed.includes('Watching') ? true : undefined), 'the watcher');
      writeFileSync(join(root, 'which-project'), 'one\ntwo\n');
      const port = await until(
        () => /two\/web: 127\.0\.0\.1:(\d+) => server port 29260/.exec(printed)?.[1],
        'the new forward',
      );
      expect((await httpGet(`http://127.0.0.1:${port}/`)).body).toBe('two second \n');
      expect((await serverContainers(root)).map((container) => container.Labels[LABEL.project]).sort()).toEqual([
        'one',
        'two',
      ]);
    } finally {
      watch.kill('SIGINT');
      await watch;
    }
    // -d: Ctrl+C ends only the watcher (and its forwards); the projects keep running on the server.
    expect((await serverContainers(root)).filter((container) => container.State === 'running')).toHaveLength(2);
    expect((await run(root, ['down'])).exitCode).toBe(0);
  }, 90_000);

  it('builds the environment on the server as its user, and carries the dotfiles there: git inside has your identity', async () => {
    const dotfiles = mkdtempSync(join(tmpdir(), 'envctl-remote-dotfiles-'));
    writeFileSync(join(dotfiles, '.gitconfig'), '[user]\n\tname = Ada Remote\n');
    // A base of this test's own, loaded on the server (no registry): the build runs there, from this machine's context.
    await docker.getImage('python:3.11-slim').tag({ repo: 'envctl-test/remote-dotfiles-base', tag: '1' });
    await server.loadFrom('envctl-test/remote-dotfiles-base:1');
    const root = remoteWorkspace(
      {
        'which-project': 'thesis\n',
        'projects/thesis/envctl.yml':
          'template: python\nports: { app: 29270 }\nparams:\n  base_image: envctl-test/remote-dotfiles-base:1\n  command: "exec sleep 600"\n',
      },
      `dotfiles: ${dotfiles}\n`,
    );
    try {
      const up = await run(root, ['up', '-d']);
      expect(up.exitCode, up.stderr).toBe(0);
      expect(readFileSync(join(remoteRootOf(root), '.dotfiles', '.gitconfig'), 'utf8')).toContain('Ada Remote');
      const gitconfig = await until(async () => {
        const exec = await run(root, ['exec', 'thesis', '--', 'sh', '-c', 'cat ~/.gitconfig 2>/dev/null']);
        return exec.exitCode === 0 && exec.stdout ? exec.stdout : undefined;
      }, 'the dotfiles linked into the home');
      expect(gitconfig).toContain('name = Ada Remote');
      expect(
        (await server.docker.listImages()).some((image) =>
          (image.RepoTags ?? []).some((tag) => tag.includes('thesis')),
        ),
      ).toBe(true);
    } finally {
      expect((await run(root, ['down'])).exitCode).toBe(0);
      rmSync(dotfiles, { recursive: true, force: true });
    }
  }, 180_000);

  it('keeps both versions of a file changed on the laptop and on the server, and says so', async () => {
    const root = remoteWorkspace({
      'which-project': 'notes\n',
      'projects/notes/envctl.yml': 'template: web\n',
      'projects/notes/draft.md': 'first\n',
    });
    const first = await run(root, ['sync']);
    expect(first.exitCode, first.stderr).toBe(0);
    const remoteFile = join(remoteRootOf(root), 'projects', 'notes', 'draft.md');
    expect(readFileSync(remoteFile, 'utf8')).toBe('first\n');

    writeFileSync(remoteFile, 'edited on the server\n');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    writeFileSync(join(root, 'projects', 'notes', 'draft.md'), 'edited on the laptop\n');
    const second = await run(root, ['sync']);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stderr).toContain('draft.md changed both here and on');

    const contents = (dir: string) =>
      readdirSync(dir)
        .filter((name) => name.startsWith('draft'))
        .map((name) => readFileSync(join(dir, name), 'utf8'))
        .sort();
    const both = ['edited on the laptop\n', 'edited on the server\n'];
    expect(contents(join(root, 'projects', 'notes'))).toEqual(both);
    expect(contents(join(remoteRootOf(root), 'projects', 'notes'))).toEqual(both);
  }, 60_000);

  it('refuses a server whose host key is not known, showing its fingerprint, and starts nothing', async () => {
    const root = remoteWorkspace({ 'which-project': 'site\n', 'projects/site/envctl.yml': 'template: web\n' });
    server.trustHostKey(false);
    try {
      // Another ssh command line: a connection of its own, not the one earlier tests left open.
      const up = await envctl(root, ['up', '-d'], {
        ENVCTL_SSH_COMMAND: `${server.sshCommand} -o ConnectionAttempts=1`,
      });
      expect(up.exitCode).toBe(3);
      expect(up.stderr).toContain(
        `is not in your known_hosts: the server offers the ssh-ed25519 key ${await server.hostKeyFingerprint()}`,
      );
      expect(await serverContainers(root)).toEqual([]);
    } finally {
      server.trustHostKey(true);
    }
  }, 60_000);

  it('doctor checks the SSH path, the engine there, unison on both ends and the GPU runtime', async () => {
    const root = remoteWorkspace({ 'which-project': '', 'projects/site/envctl.yml': 'template: web\n' });
    const doctor = await run(root, ['doctor']);
    expect(doctor.stdout).toContain(`✔ SSH: root@${server.address}: host key known, key accepted`);
    expect(doctor.stdout).toMatch(
      new RegExp(
        `✔ Docker Engine: \\S+ \\(API [\\d.]+\\) at ssh://root@${server.address} \\(engine: in workspace.yml\\); on ` +
          `${server.address}: unix://${server.socket}, found by its docker CLI \\(context default\\)`,
      ),
    );
    expect(doctor.stdout).toMatch(new RegExp(`✔ Sync \\(unison\\): unison [\\d.]+ here and on ${server.address}`));
    expect(doctor.stdout).toContain('✔ NVIDIA driver: 5 GPU(s)');
    expect(doctor.stdout).toContain('✔ NVIDIA Container Toolkit');
    expect(doctor.stdout).toMatch(/✔ Port range: 29200-29299: \d+ of 100 free on/);
  }, 60_000);
});
