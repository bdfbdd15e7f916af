import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/model/labels.js';
import { CLI, envctl } from '../support/workspace.js';
import { engineAnswers, engineWorkspaces, followOutput, hasImage, httpGet } from './engine-support.js';
import { SwarmCluster } from './swarm-cluster.js';
import { DockerEngine } from '../../src/engine/docker-engine.js';
import { SwarmEngine } from '../../src/engine/swarm-engine.js';
import { swarmContract } from '../support/swarm-contract.js';

/**
 * A workspace on a Docker Swarm of two nodes (each a dockerd in a network namespace with two stand-in GPUs as
 * generic resources), deployed through the manager's service API. Host ports 29300-29399 are this file's.
 */
const hasEngine = await engineAnswers();
const canBuild =
  hasEngine &&
  (await execa('sh', ['-c', 'command -v nsenter unshare iptables']).then(
    () => true,
    () => false,
  ));
const workspace = engineWorkspaces();
const cluster = new SwarmCluster();

beforeAll(async () => {
  if (!canBuild || !(process.env.CI === 'true' || (await hasImage('busybox:latest')))) return;
  await cluster.start();
  await cluster.loadFrom('busybox:latest');
  // envctl reaches the nodes over SSH by their hostnames (their ports, images, shells), as a lab's
  // ~/.ssh/config lets it: every envctl this file runs is given the cluster's.
  process.env.ENVCTL_SSH_COMMAND = cluster.sshCommand;
}, 180_000);
afterAll(() => cluster.remove(), 120_000);

function swarmWorkspace(files: Record<string, string>): string {
  return workspace({
    'workspace.yml': `engine: swarm+${cluster.managerUrl}\nports:\n  range: "29300-29399"\n`,
    ...files,
  });
}

/** Each running task's container on either node, by project: its node and its environment. */
async function tasksByProject(root: string): Promise<Map<string, { node: number; env: string[]; id: string }>> {
  const found = new Map<string, { node: number; env: string[]; id: string }>();
  for (const index of [0, 1]) {
    for (const container of await cluster.containers(index)) {
      if (container.Config.Labels[LABEL.root] !== root) continue;
      found.set(container.Config.Labels[LABEL.project]!, { node: index, env: container.Config.Env, id: container.Id });
    }
  }
  return found;
}

async function serviceVersions(): Promise<Record<string, number>> {
  const services = (await cluster.docker[0]!.listServices()) as Array<{
    Spec: { Name: string };
    Version: { Index: number };
  }>;
  return Object.fromEntries(services.map((service) => [service.Spec.Name, service.Version.Index]));
}

async function execIn(docker: Docker, id: string, cmd: string[]): Promise<number> {
  const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  await new Promise((resolve) => {
    stream.on('end', resolve);
    stream.resume();
  });
  return (await exec.inspect()).ExitCode ?? -1;
}

describe.runIf(canBuild)('a workspace on a Docker Swarm of two GPU nodes', () => {
  it('gives exclusive projects distinct GPUs from the nodes, refuses one no node can meet, and changes nothing on a no-op up', async () => {
    const root = swarmWorkspace({
      // A project without GPUs on each node: see the README on Engine 20.10's GPU tasks and overlay attachments.
      'which-project': 'hub1\nhub2\nalpha\nbeta\ngamma\nlab\n',
      'projects/hub1/envctl.yml': 'template: web\nplacement: node1\n',
      'projects/hub2/envctl.yml': 'template: web\nplacement: node2\n',
      'projects/alpha/envctl.yml': 'template: web\ngpus: 1\n',
      'projects/beta/envctl.yml': 'template: web\ngpus: 1\n',
      'projects/gamma/envctl.yml': 'template: web\ngpus: 1\n',
      'projects/delta/envctl.yml': 'template: web\ngpus: 2\n',
      'projects/lab/envctl.yml': 'template: web\ngpus: 1\ngpu_sharing: shared\n',
    });
    try {
      const up = await envctl(root, ['up', '-d']);
      expect(up.exitCode, up.stderr).toBe(0);
      expect(up.stdout).toContain('created service');
      const tasks = await tasksByProject(root);
      const gpuOf = (project: string) =>
        tasks
          .get(project)!
          .env.find((entry) => entry.startsWith('DOCKER_RESOURCE_NVIDIA-GPU='))
          ?.split('=')[1];
      const given = ['alpha', 'beta', 'gamma'].map(gpuOf);
      expect(new Set(given).size).toBe(3);
      for (const project of ['alpha', 'beta', 'gamma'])
        expect(cluster.nodes[tasks.get(project)!.node]!.gpus).toContain(gpuOf(project));

      const gpus = await envctl(root, ['gpus', '--json']);
      const rows = JSON.parse(gpus.stdout) as Array<{ node: string; gpu: string; heldBy: string | null }>;
      expect(rows).toHaveLength(4);
      // A shared project reserves nothing: it is named a GPU of its node, beside whoever holds it.
      const lab = tasks.get('lab')!;
      const shared = lab.env.find((entry) => entry.startsWith('NVIDIA_VISIBLE_DEVICES='))!.split('=')[1]!;
      expect(cluster.nodes[lab.node]!.gpus).toContain(shared);
      expect(rows.find((row) => row.gpu === shared)!.heldBy).toContain('lab (shared)');
      const exclusive = rows
        .flatMap((row) => (row.heldBy ?? '').split(', '))
        .filter((h) => h && !h.endsWith('(shared)'));
      expect(exclusive.sort()).toEqual(['alpha', 'beta', 'gamma']);

      writeFileSync(join(root, 'which-project'), 'hub1\nhub2\nalpha\nbeta\ngamma\nlab\ndelta\n');
      const refused = await envctl(root, ['up', '-d']);
      expect(refused.exitCode).toBe(4);
      expect(refused.stderr).toContain('Project "delta" asks for 2 GPU(s) of its own, and no node has that many free');
      expect(refused.stderr).toMatch(
        /node1: [01] of 2 free \(held by [a-z, ]+\); node2: [01] of 2 free \(held by [a-z, ]+\)/,
      );
      expect(Object.keys(await serviceVersions()).some((name) => name.includes('delta'))).toBe(false);

      writeFileSync(join(root, 'which-project'), 'hub1\nhub2\nalpha\nbeta\ngamma\nlab\n');
      const before = await serviceVersions();
      const again = await envctl(root, ['up', '-d']);
      expect(again.exitCode, again.stderr).toBe(0);
      expect(again.stdout).toContain('Nothing to do');
      expect(await serviceVersions()).toEqual(before);

      // A project taken out of which-project loses its service; the others are left alone.
      writeFileSync(join(root, 'which-project'), 'hub1\nhub2\nalpha\nbeta\nlab\n');
      const removed = await envctl(root, ['up', '-d']);
      expect(removed.exitCode, removed.stderr).toBe(0);
      expect(removed.stdout).toMatch(/gamma: removed service \S+-gamma-web-1/);
      const { [Object.keys(before).find((name) => name.includes('gamma'))!]: _gone, ...kept } = before;
      expect(await serviceVersions()).toEqual(kept);
    } finally {
      const down = await envctl(root, ['down']);
      expect(down.exitCode, down.stderr).toBe(0);
    }
    expect(await cluster.docker[0]!.listServices()).toEqual([]);
    const networks = await cluster.docker[0]!.listNetworks({ filters: { label: [`${LABEL.root}=${root}`] } });
    expect(networks.map((network) => `${network.Name} ${JSON.stringify(network.Labels)}`)).toEqual([]);
  }, 180_000);

  it("runs a project where placement: says, answers on that node's address, and reaches a project on the other node by name", async () => {
    const root = swarmWorkspace({
      'which-project': 'front\nback\n',
      'projects/front/envctl.yml': 'template: web\nplacement: node2\n',
      'projects/back/envctl.yml': 'template: web\nplacement:\n  node: node1\n',
    });
    try {
      const up = await envctl(root, ['up', '-d']);
      expect(up.exitCode, up.stderr).toBe(0);
      const url = new RegExp(`http://${cluster.nodes[1]!.address.replace(/\./g, '\\.')}:\\d+/`).exec(up.stdout)?.[0];
      expect(url, up.stdout).toBeDefined();
      expect((await httpGet(url!)).body).toBe('front hello \n');

      const ps = JSON.parse((await envctl(root, ['ps', '--json'])).stdout) as Array<{
        project: string;
        node: string;
        state: string;
      }>;
      expect(ps.map((row) => [row.project, row.node, row.state])).toEqual([
        ['back', 'node1', 'running'],
        ['front', 'node2', 'running'],
      ]);
      const tasks = await tasksByProject(root);
      expect(tasks.get('front')!.node).toBe(1);
      expect(await execIn(cluster.docker[1]!, tasks.get('front')!.id, ['ping', '-c', '1', '-W', '5', 'back-web'])).toBe(
        0,
      );

      // What works on one engine's images only is refused by name.
      const exported = await envctl(root, ['export', 'front', '-o', join(root, 'front.tar')]);
      expect(exported.exitCode).toBe(2);
      expect(exported.stderr).toContain(
        "This command works on one engine's containers, and the workspace runs on a swarm",
      );
    } finally {
      expect((await envctl(root, ['down'])).exitCode).toBe(0);
    }
  }, 180_000);

  it('refuses what a swarm service cannot carry at the file and line that wrote it, starting nothing', async () => {
    const root = swarmWorkspace({
      'which-project': 'priv\n',
      'projects/priv/envctl.yml': 'template: web\n',
      'projects/priv/compose.yml': 'services:\n  web:\n    shm_size: 1g\n    privileged: true\n',
    });
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode).toBe(2);
    expect(up.stderr).toMatch(
      /^error: projects\/priv\/compose\.yml:3(:\d+)?: service "web" sets "shm_size", which envctl does not apply on a swarm: /,
    );
    expect((await envctl(root, ['ps', '--json'])).stdout).toBe('[]');
    // render --check says the same, without a swarm to ask: the key table's swarm column, not the engine, refuses.
    const check = await envctl(root, ['render', '--check']);
    expect(check.exitCode).toBe(2);
    expect(check.stderr).toMatch(/projects\/priv\/compose\.yml:3(:\d+)?: service "web" sets "shm_size"/);
    writeFileSync(join(root, 'projects/priv/compose.yml'), 'services:\n  web:\n    privileged: true\n');
    expect((await envctl(root, ['up', '-d'])).stderr).toContain(
      'sets "privileged", which envctl does not apply on a swarm',
    );
    writeFileSync(join(root, 'projects/priv/compose.yml'), 'services:\n  web: {}\n');
    writeFileSync(join(root, 'projects/priv/envctl.yml'), 'template: web\ngpus: [0]\n');
    const named = await envctl(root, ['up', '-d']);
    expect(named.stderr).toMatch(
      /^error: projects\/priv\/envctl\.yml:2(:\d+)?: priv asks for the GPUs 0, and a swarm hands out/,
    );
    expect((await envctl(root, ['ps', '--json'])).stdout).toBe('[]');
  });
});

/** Whatever the node's engine holds in BuildKit's build cache: nothing, on a node that never built. */
async function buildCacheOf(docker: Docker): Promise<unknown[]> {
  const usage = (await docker.df()) as { BuildCache?: unknown[] | null };
  return usage.BuildCache ?? [];
}

describe.runIf(canBuild)('a workspace on a swarm reached only over SSH', () => {
  const ssh = () => ({ ENVCTL_SSH_COMMAND: cluster.sshCommand });
  const dockerfile = (text: string) =>
    `FROM busybox:latest\nRUN mkdir -p /www && echo "${text}" > /www/index.html\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`;

  it('pushes a built image to the registry the workspace names, and the node pulls it by its digest', async () => {
    const root = workspace({
      'workspace.yml': `engine: swarm+${cluster.managerSshUrl}\nswarm:\n  registry: ${cluster.registry}\n`,
      'which-project': 'reg\n',
      'projects/reg/envctl.yml': 'placement: node2\n',
      'projects/reg/compose.yml': 'services:\n  web:\n    build: .\n    ports: ["8080"]\n',
      'projects/reg/Dockerfile': dockerfile('from the registry'),
    });
    try {
      const up = await envctl(root, ['up', '-d'], ssh());
      expect(up.exitCode, up.stderr).toBe(0);
      const registry = cluster.registry.replace(/\./g, '\\.');
      const pushed = new RegExp(`reg: pushed (${registry}/\\S+):[0-9a-f]{16} \\(sha256:`).exec(up.stdout);
      expect(pushed, up.stdout).not.toBeNull();
      expect(up.stdout).not.toContain('carried');
      const task = (await tasksByProject(root)).get('reg')!;
      expect(task.node).toBe(1);
      const image = await cluster.docker[1]!.getImage(
        (await cluster.docker[1]!.getContainer(task.id).inspect()).Image,
      ).inspect();
      expect(image.RepoDigests.some((digest) => digest.startsWith(`${pushed![1]}@sha256:`))).toBe(true);

      const again = await envctl(root, ['up', '-d'], ssh());
      expect(again.exitCode, again.stderr).toBe(0);
      expect(again.stdout).toContain('Nothing to do');
      expect(again.stdout).not.toContain('pushed');
    } finally {
      expect((await envctl(root, ['down'], ssh())).exitCode).toBe(0);
    }
  }, 180_000);

  it('builds a project on the manager and runs it on a node that never built it; a change is built and carried again', async () => {
    const root = workspace({
      'workspace.yml': `engine: swarm+${cluster.managerSshUrl}\nports:\n  range: "29300-29399"\n`,
      'which-project': 'built\n',
      'projects/built/envctl.yml': 'placement: node2\n',
      'projects/built/compose.yml': 'services:\n  web:\n    build: .\n    ports: ["8080"]\n',
      'projects/built/Dockerfile': dockerfile('built v1'),
    });
    const worker = cluster.docker[1]!;
    const page = async () => {
      const ps = JSON.parse((await envctl(root, ['ps', '--json'], ssh())).stdout) as Array<{
        project: string;
        node: string;
        urls: string[];
      }>;
      expect(ps.map((row) => [row.project, row.node])).toEqual([['built', 'node2']]);
      return (await httpGet(ps[0]!.urls[0]!, 30_000)).body;
    };
    try {
      const up = await envctl(root, ['up', '-d'], ssh());
      expect(up.exitCode, up.stderr).toBe(0);
      expect(up.stdout).toMatch(/built: built \S+-built-web/);
      expect(up.stdout).toMatch(/built: carried \S+-built-web to node2 \(/);
      expect(await page()).toBe('built v1\n');
      // node2 runs the image the manager built, by its id, and has built nothing itself.
      const [task] = await tasksByProject(root).then((tasks) => [tasks.get('built')!]);
      expect(task!.node).toBe(1);
      const image = (await worker.getContainer(task!.id).inspect()).Image;
      expect((await cluster.docker[0]!.getImage(image).inspect()).Id).toBe(image);
      expect(await buildCacheOf(worker)).toEqual([]);
      expect((await buildCacheOf(cluster.docker[0]!)).length).toBeGreaterThan(0);

      const again = await envctl(root, ['up', '-d'], ssh());
      expect(again.exitCode, again.stderr).toBe(0);
      expect(again.stdout).toContain('Nothing to do');
      expect(again.stdout).not.toContain('carried');

      writeFileSync(join(root, 'projects/built/Dockerfile'), dockerfile('built v2'));
      const changed = await envctl(root, ['up', '-d'], ssh());
      expect(changed.exitCode, changed.stderr).toBe(0);
      expect(changed.stdout).toMatch(/built: carried \S+-built-web to node2/);
      expect(changed.stdout).toMatch(/built: updated service/);
      await expect.poll(page, { timeout: 60_000, interval: 1000 }).toBe('built v2\n');

      // A build that fails names its step, exit 3, and leaves the service as it ran.
      writeFileSync(join(root, 'projects/built/Dockerfile'), 'FROM busybox:latest\nRUN exit 7\n');
      const broken = await envctl(root, ['up', '-d'], ssh());
      expect(broken.exitCode).toBe(3);
      expect(broken.stderr).toContain('RUN exit 7');
      expect(broken.stderr).toContain('its image did not build: its services run as before');
      expect(broken.stdout).not.toContain('carried');
      expect(await page()).toBe('built v2\n');
    } finally {
      const down = await envctl(root, ['down'], ssh());
      expect(down.exitCode, down.stderr).toBe(0);
    }
    expect(await cluster.docker[0]!.listServices()).toEqual([]);
  }, 240_000);
});

describe.runIf(canBuild)('working in a project on a swarm node, over SSH', () => {
  const ssh = { ENVCTL_SSH_COMMAND: cluster.sshCommand };
  const talk = `["sh", "-c", "echo started; i=0; while true; do i=$((i+1)); echo tick $i; sleep 1; done"]`;

  it('follows its logs, runs exec and a shell in its container on node2, and restarts it', async () => {
    const root = workspace({
      'workspace.yml': `engine: swarm+${cluster.managerSshUrl}\n`,
      'which-project': 'talk\n',
      'projects/talk/envctl.yml': 'placement: node2\n',
      'projects/talk/compose.yml': `services:\n  web:\n    image: busybox:latest\n    command: ${talk}\n`,
    });
    try {
      const doctor = await envctl(root, ['doctor'], ssh);
      expect(doctor.stdout).toContain('SSH to node1: reached as ssh root@node1');
      expect(doctor.stdout).toContain('SSH to node2: reached as ssh root@node2');
      const up = await envctl(root, ['up', '-d'], ssh);
      expect(up.exitCode, up.stderr).toBe(0);
      await expect
        .poll(async () => (await envctl(root, ['logs', 'talk'], ssh)).stdout, { timeout: 30_000 })
        .toMatch(/^talk\/web \| started\ntalk\/web \| tick 1$/m);

      const follow = execa('node', [CLI, 'logs', '-f', '--tail', '0', 'talk'], {
        cwd: root,
        env: { NO_COLOR: '1', ...ssh },
        all: true,
        reject: false,
      });
      const output = followOutput(follow);
      await output.waitFor(/talk\/web \| tick \d+\n/, 0, 30_000);
      follow.kill('SIGINT');
      expect((await follow).exitCode).toBe(0);

      const exec = await envctl(
        root,
        ['exec', 'talk', '--', 'sh', '-c', 'echo from-exec > /tmp/mark; echo out; exit 5'],
        ssh,
      );
      expect([exec.stdout, exec.exitCode]).toEqual(['out', 5]);
      const task = (await tasksByProject(root)).get('talk')!;
      expect(task.node).toBe(1);
      expect(await execIn(cluster.docker[1]!, task.id, ['test', '-f', '/tmp/mark'])).toBe(0);
      const shell = await execa('node', [CLI, 'shell', 'talk'], {
        cwd: root,
        env: { NO_COLOR: '1', ...ssh },
        input: 'cat /tmp/mark\nexit 4\n',
        reject: false,
      });
      expect([shell.stdout.trim(), shell.exitCode]).toEqual(['from-exec', 4]);

      const restart = await envctl(root, ['restart', 'talk'], ssh);
      expect(restart.exitCode, restart.stderr).toBe(0);
      expect(restart.stdout).toMatch(/^restarted service \S+-talk-web-1$/m);
      const after = (await tasksByProject(root)).get('talk')!;
      expect(after.id).not.toBe(task.id);
      expect(await execIn(cluster.docker[after.node]!, after.id, ['test', '-f', '/tmp/mark'])).toBe(1);

      const typo = await envctl(root, ['exec', 'tlak', '--', 'true'], ssh);
      expect(typo.exitCode).toBe(2);
      expect(typo.stderr).toMatch(/no project "tlak".*Did you mean "talk"\?/s);
    } finally {
      expect((await envctl(root, ['down'], ssh)).exitCode).toBe(0);
    }
  }, 180_000);

  it('skips a port a process holds on the node a project is placed on, and says so', async () => {
    const release = await cluster.holdPort(1, 29360);
    const root = workspace({
      'workspace.yml': `engine: swarm+${cluster.managerSshUrl}\nports:\n  range: "29300-29399"\n`,
      'which-project': 'held\n',
      'projects/held/envctl.yml': 'template: web\nplacement: node2\nports: { http: 29360 }\n',
    });
    try {
      const up = await envctl(root, ['up', '-d'], ssh);
      expect(up.exitCode, up.stderr).toBe(0);
      const given = /29360 is in use by another process: held gets (\d+)/.exec(up.stdout + up.stderr)?.[1];
      expect(given, up.stdout + up.stderr).toBeDefined();
      const url = `http://${cluster.nodes[1]!.address}:${given}/`;
      expect(up.stdout).toContain(url);
      expect((await httpGet(url, 30_000)).body).toBe('held hello \n');

      // envctl tunnel forwards it to this machine's 127.0.0.1, through node2.
      const tunnel = execa('node', [CLI, 'tunnel', '--json'], {
        cwd: root,
        env: { NO_COLOR: '1', ...ssh },
        reject: false,
      });
      const output = followOutput({ all: tunnel.stdout });
      await output.waitFor(/\]\s*$/, 0, 30_000);
      const rows = JSON.parse(output.text()) as Array<{ local: number; host: string; remote: number }>;
      expect(rows).toEqual([expect.objectContaining({ host: 'node2', remote: Number(given) })]);
      expect((await httpGet(`http://127.0.0.1:${rows[0]!.local}/`, 30_000)).body).toBe('held hello \n');
      tunnel.kill('SIGINT');
      expect((await tunnel).exitCode).toBe(0);
    } finally {
      release();
      expect((await envctl(root, ['down'], ssh)).exitCode).toBe(0);
    }
  }, 180_000);

  it("syncs a project's folder to the node its task runs on, both ways, and takes it along when the task moves", async () => {
    const command = 'echo run >> /work/runs.txt && cat /work/local.txt > /work/seen.txt && exec sleep 3600';
    const root = workspace({
      'workspace.yml': `engine: swarm+${cluster.managerSshUrl}\n`,
      'which-project': 'nb\n',
      'projects/nb/envctl.yml': 'placement: node2\n',
      'projects/nb/compose.yml': [
        'services:',
        '  web:',
        '    image: busybox:latest',
        `    command: ["sh", "-c", "${command}"]`,
        '    volumes: ["./:/work"]',
        '',
      ].join('\n'),
      'projects/nb/local.txt': 'from the laptop\n',
    });
    const local = (file: string) => join(root, 'projects', 'nb', file);
    const inTask = async (file: string) =>
      (await envctl(root, ['exec', 'nb', '--', 'cat', `/work/${file}`], ssh)).stdout;
    try {
      const up = await envctl(root, ['up', '-d'], ssh);
      expect(up.exitCode, up.stderr).toBe(0);
      expect(up.stdout).toMatch(/synced with node2: \d+ to the server/);
      await expect.poll(() => inTask('seen.txt'), { timeout: 30_000 }).toBe('from the laptop');
      expect(existsSync(join(cluster.homeOf('node2'), 'envctl'))).toBe(true);
      expect(existsSync(join(cluster.homeOf('node1'), 'envctl'))).toBe(false);

      // envctl sync brings back what the task wrote, and takes there what was saved here; so does each up.
      writeFileSync(local('later.txt'), 'saved here\n');
      const synced = await envctl(root, ['sync'], ssh);
      expect(synced.exitCode, synced.stderr).toBe(0);
      expect(synced.stdout).toMatch(/synced with node2: 1 to the server, [1-9]\d* from it/);
      expect(readFileSync(local('runs.txt'), 'utf8')).toBe('run\n');
      expect(await inTask('later.txt')).toBe('saved here');
      expect((await envctl(root, ['sync'], ssh)).stdout).toBe('In sync with node2.');
      const again = await envctl(root, ['up', '-d'], ssh);
      expect(again.exitCode, again.stderr).toBe(0);
      expect(again.stdout).toContain('Nothing to do');

      // Placed on node1 now: the folder goes along, with what the task wrote on node2.
      writeFileSync(join(root, 'projects/nb/envctl.yml'), 'placement: node1\n');
      const moved = await envctl(root, ['up', '-d'], ssh);
      expect(moved.exitCode, moved.stderr).toBe(0);
      expect(moved.stdout).toMatch(/synced with node1/);
      await expect.poll(async () => (await tasksByProject(root)).get('nb')?.node, { timeout: 60_000 }).toBe(0);
      await expect.poll(() => inTask('runs.txt'), { timeout: 30_000 }).toBe('run\nrun');
      expect(await inTask('later.txt')).toBe('saved here');
    } finally {
      expect((await envctl(root, ['down'], ssh)).exitCode).toBe(0);
    }
  }, 240_000);

  it('stays in the foreground: logs, port forwards, folders synced while it runs; Ctrl+C stops the services', async () => {
    // What the task writes as it is stopped can only come back by the last sync, after its task ended.
    const talk = "trap 'echo bye > /work/bye.txt; exit 0' TERM; echo started; while true; do echo tick; sleep 1; done";
    const root = workspace({
      'workspace.yml': `engine: swarm+${cluster.managerSshUrl}\nports:\n  range: "29300-29399"\n`,
      'which-project': 'site\nnb\n',
      'projects/site/envctl.yml': 'template: web\nplacement: node2\nports: { http: 29340 }\n',
      'projects/nb/envctl.yml': 'placement: node2\n',
      'projects/nb/compose.yml': [
        'services:',
        '  web:',
        '    image: busybox:latest',
        `    command: ["sh", "-c", "${talk}"]`,
        '    volumes: ["./:/work"]',
        '',
      ].join('\n'),
    });
    const local = (file: string) => join(root, 'projects', 'nb', file);
    const inTask = async (file: string) =>
      (await envctl(root, ['exec', 'nb', '--', 'cat', `/work/${file}`], ssh)).stdout;
    const up = execa('node', [CLI, 'up'], { cwd: root, env: { NO_COLOR: '1', ...ssh }, all: true, reject: false });
    const output = followOutput(up);
    try {
      // The URL is this machine's end of a forward to node2, where the task publishes 29340.
      const at = await output.waitFor(/http:\/\/127\.0\.0\.1:(\d+)\//, 0, 120_000);
      const port = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(output.text())![1];
      expect(output.text()).toContain(`${cluster.nodes[1]!.address}:29340`);
      expect((await httpGet(`http://127.0.0.1:${port}/`, 30_000)).body).toBe('site hello \n');
      await output.waitFor(/^nb\/web +\| tick$/m, at, 30_000);

      // While up runs, a file saved here reaches the task, and one the task writes comes back.
      writeFileSync(local('saved-here.txt'), 'from the laptop\n');
      await expect.poll(() => inTask('saved-here.txt'), { timeout: 30_000 }).toBe('from the laptop');
      await envctl(root, ['exec', 'nb', '--', 'sh', '-c', 'echo from the task > /work/written.txt'], ssh);
      await expect
        .poll(() => (existsSync(local('written.txt')) ? readFileSync(local('written.txt'), 'utf8') : ''), {
          timeout: 30_000,
        })
        .toBe('from the task\n');
    } finally {
      up.kill('SIGINT');
    }
    const ended = await up;
    expect(ended.exitCode, output.text()).toBe(130);
    expect(output.text()).toMatch(/^nb: stopped service \S+-nb-web-1$/m);
    expect(output.text()).toContain('Stopped 2 services.');
    // Their specs are kept: ps says stopped, and the next up starts them again on the same port.
    const ps = JSON.parse((await envctl(root, ['ps', '--json'], ssh)).stdout) as Array<{ state: string }>;
    expect(ps.map((row) => row.state)).toEqual(['stopped', 'stopped']);
    expect([...(await tasksByProject(root)).keys()]).toEqual([]);
    // The last round, once the tasks ended, brought back what they wrote until then.
    expect(readFileSync(local('bye.txt'), 'utf8')).toBe('bye\n');
    try {
      const again = await envctl(root, ['up', '-d'], ssh);
      expect(again.exitCode, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/^site: started service \S+-site-web-1$/m);
      expect(again.stdout).toContain(`http://${cluster.nodes[1]!.address}:29340/`);
      expect((await httpGet(`http://${cluster.nodes[1]!.address}:29340/`, 30_000)).body).toBe('site hello \n');
    } finally {
      expect((await envctl(root, ['down'], ssh)).exitCode).toBe(0);
    }
  }, 300_000);

  it('up -d --watch: a project added to which-project is deployed and forwarded, a change updates it', async () => {
    const root = workspace({
      'workspace.yml': `engine: swarm+${cluster.managerSshUrl}\nports:\n  range: "29300-29399"\n`,
      'which-project': 'one\n',
      'projects/one/envctl.yml': 'template: web\nplacement: node1\nports: { http: 29350 }\n',
      'projects/two/envctl.yml':
        'template: web\nplacement: node2\nports: { http: 29351 }\nparams: { message: second }\n',
    });
    const watch = execa('node', [CLI, 'up', '-d', '--watch'], {
      cwd: root,
      env: { NO_COLOR: '1', ...ssh },
      all: true,
      reject: false,
    });
    const output = followOutput(watch);
    try {
      const watching = await output.waitFor(/^Watching /m, 0, 120_000);
      writeFileSync(join(root, 'which-project'), 'one\ntwo\n');
      const added = await output.waitFor(/two\/web: 127\.0\.0\.1:(\d+) => server port 29351/, watching, 120_000);
      const port = /two\/web: 127\.0\.0\.1:(\d+) => server port 29351/.exec(output.text())![1];
      expect(output.text()).toMatch(/^two: created service \S+-two-web-1$/m);
      expect((await httpGet(`http://127.0.0.1:${port}/`, 30_000)).body).toBe('two second \n');

      writeFileSync(
        join(root, 'projects/two/envctl.yml'),
        'template: web\nplacement: node2\nports: { http: 29351 }\nparams: { message: third }\n',
      );
      await output.waitFor(/^two: updated service \S+-two-web-1$/m, added, 120_000);
      await expect
        .poll(async () => (await httpGet(`http://${cluster.nodes[1]!.address}:29351/`, 30_000)).body, {
          timeout: 30_000,
        })
        .toBe('two third \n');
    } finally {
      watch.kill('SIGINT');
    }
    expect((await watch).exitCode, output.text()).toBe(0);
    // -d: Ctrl+C ends only the watcher and its forwards; the services keep running on their nodes.
    try {
      const running = await tasksByProject(root);
      expect([...running.keys()].sort()).toEqual(['one', 'two']);
    } finally {
      expect((await envctl(root, ['down'], ssh)).exitCode).toBe(0);
    }
  }, 300_000);

  it('says once that a node cannot be reached over SSH; a project that needs it is refused by name', async () => {
    // This machine's ssh reaches node2 at a port where no sshd listens: node2 runs tasks, envctl cannot get in.
    const config = join(cluster.dir, 'ssh_config_no_node2');
    const node2 = cluster.nodes[1]!;
    writeFileSync(config, `Host node2\n  Port 1\n${readFileSync(cluster.sshConfig, 'utf8')}`);
    const cut = { ENVCTL_SSH_COMMAND: `ssh -F ${config}` };
    const root = workspace({
      'workspace.yml': `engine: swarm+${cluster.managerSshUrl}\n`,
      'which-project': 'nb\n',
      'projects/nb/envctl.yml': 'placement: node2\n',
      'projects/nb/compose.yml': 'services:\n  web:\n    image: busybox:latest\n    volumes: ["./:/work"]\n',
      'projects/plain/compose.yml': 'services:\n  web:\n    image: busybox:latest\n    command: ["sleep", "3600"]\n',
    });
    try {
      const refused = await envctl(root, ['up', '-d'], cut);
      expect(refused.exitCode).toBe(3);
      expect(refused.stderr).toContain('Project "nb" mounts its folder, and no node it may run on can take it');
      expect(refused.stderr).toContain('nodes reached over SSH: node1');
      expect(await tasksByProject(root)).toEqual(new Map());

      writeFileSync(join(root, 'which-project'), 'plain\n');
      const up = await envctl(root, ['up', '-d'], cut);
      expect(up.exitCode, up.stderr).toBe(0);
      const said = (up.stdout + up.stderr).match(/node node2 cannot be reached over SSH/g) ?? [];
      expect(said).toHaveLength(1);
      expect(up.stderr).toContain(`${node2.address}`);
      await expect.poll(async () => (await tasksByProject(root)).has('plain'), { timeout: 30_000 }).toBe(true);
      const doctor = await envctl(root, ['doctor'], cut);
      expect(doctor.stdout).toMatch(/SSH to node2: .*builds, project folders, exec and shell cannot reach this node/);
    } finally {
      expect((await envctl(root, ['down'], ssh)).exitCode).toBe(0);
    }
  }, 180_000);

  it('makes a named volume on the node its task runs on, with its driver options; down -v removes it there', async () => {
    const root = workspace({
      'workspace.yml': `engine: swarm+${cluster.managerSshUrl}\n`,
      'which-project': 'keep\n',
      'projects/keep/envctl.yml': 'placement: node2\n',
      'projects/keep/compose.yml': [
        'services:',
        '  web:',
        '    image: busybox:latest',
        '    command: ["sh", "-c", "echo kept > /data/file && exec sleep 3600"]',
        '    volumes: [data:/data]',
        'volumes:',
        '  data:',
        '    driver_opts: { type: tmpfs, device: tmpfs, o: size=8m }',
        '',
      ].join('\n'),
    });
    const volumesOn = async (index: number) =>
      (await cluster.docker[index]!.listVolumes({ filters: { label: [`${LABEL.root}=${root}`] } })).Volumes ?? [];
    try {
      const up = await envctl(root, ['up', '-d'], ssh);
      expect(up.exitCode, up.stderr).toBe(0);
      await expect.poll(async () => (await volumesOn(1)).length, { timeout: 30_000 }).toBe(1);
      const [volume] = await volumesOn(1);
      expect(volume!.Labels[LABEL.project]).toBe('keep');
      expect(volume!.Options).toEqual({ type: 'tmpfs', device: 'tmpfs', o: 'size=8m' });
      expect(await volumesOn(0)).toEqual([]);
      const cat = await envctl(root, ['exec', 'keep', '--', 'cat', '/data/file'], ssh);
      expect([cat.stdout, cat.exitCode]).toEqual(['kept', 0]);

      const down = await envctl(root, ['down', '-v'], ssh);
      expect(down.exitCode, down.stderr).toBe(0);
      expect(down.stdout).toContain(`removed volume ${volume!.Name} on node2`);
      expect([...(await volumesOn(0)), ...(await volumesOn(1))]).toEqual([]);
    } finally {
      expect((await envctl(root, ['down'], ssh)).exitCode).toBe(0);
    }
  }, 180_000);
});

// The contract test/engine/swarm-contract.test.ts runs on the in-memory swarm, here on the real one.
describe.runIf(canBuild)('the swarm contract, on a real swarm of two nodes', () => {
  const swarm = () => new SwarmEngine(new DockerEngine(cluster.docker[0]!, cluster.managerUrl, undefined));
  swarmContract({ swarm, image: 'busybox:latest', port: 29397, patienceMs: 45_000 });
});
