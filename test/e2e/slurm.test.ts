import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, envctl } from '../support/workspace.js';
import { engineAnswers, engineWorkspaces, followOutput, hasImage, httpGet } from './engine-support.js';
import { SlurmCluster } from './slurm-cluster.js';

/**
 * A workspace on a real Slurm cluster (test/e2e/slurm-cluster.ts: a login node reached only over SSH, two
 * compute nodes with two stand-in GPUs each), its projects batch jobs run by Charliecloud from the images
 * envctl builds here. Host ports 29400-29499 are this file's.
 */
const canRun =
  (await engineAnswers()) &&
  (await execa('sh', ['-c', 'command -v slurmctld slurmd sbatch munged ch-run ch-convert unshare']).then(
    () => true,
    () => false,
  ));
const workspace = engineWorkspaces();
const cluster = new SlurmCluster();
const ssh = () => ({ ENVCTL_SSH_COMMAND: cluster.sshCommand });

beforeAll(async () => {
  if (!canRun || !(process.env.CI === 'true' || (await hasImage('busybox:latest')))) return;
  await cluster.start();
}, 120_000);
// ENVCTL_KEEP_CLUSTER=1 keeps it (and its files under /tmp/envctl-slurm-*) to look at after a failure.
afterAll(() => (process.env.ENVCTL_KEEP_CLUSTER ? undefined : cluster.remove()), 60_000);

function clusterWorkspace(files: Record<string, string>, slurm = ''): string {
  return workspace({
    'workspace.yml': `engine: slurm+${cluster.loginUrl}\nports:\n  range: "29400-29499"\n${slurm ? `slurm:\n${slurm}` : ''}`,
    ...files,
  });
}

/** A busybox service that says where it runs and serves the project folder's www/ on the port the job gives. */
const SITE = [
  'services:',
  '  web:',
  '    image: busybox:latest',
  '    command:',
  '      - sh',
  '      - -c',
  '      - echo started on $(hostname) with GPUs ${CUDA_VISIBLE_DEVICES:-none}; echo written in the job > /work/from-job.txt; exec httpd -f -p $PORT -h /work/www',
  '    volumes: ["./:/work"]',
  '    ports: ["8080"]',
  '',
].join('\n');

const sleeper = (gpus: number) => ({
  envctl: `gpus: ${gpus}\n`,
  compose: 'services:\n  job:\n    image: busybox:latest\n    command: ["sleep", "600"]\n',
});

async function psRows(root: string, env: Record<string, string> = ssh()) {
  const ps = await envctl(root, ['ps', '--json'], env);
  expect(ps.exitCode, ps.stderr).toBe(0);
  return JSON.parse(ps.stdout) as Array<{
    project: string;
    job: string;
    state: string;
    node: string | null;
    gpus: number;
  }>;
}

async function liveJobs(): Promise<string[]> {
  const { stdout } = await cluster.slurm('squeue', ['--noheader', '--states=pending,running', '-o', '%j']);
  return stdout.split('\n').filter(Boolean);
}

describe.runIf(canRun)('a workspace on a Slurm cluster, reached through its login node', () => {
  it('runs a project as a job in Charliecloud from its image; its URL answers here, its files come back', async () => {
    const root = clusterWorkspace({
      'which-project': 'site\n',
      'projects/site/envctl.yml': 'gpus: 1\n',
      'projects/site/compose.yml': SITE,
      'projects/site/www/index.html': 'hello from the cluster\n',
    });
    try {
      const up = await envctl(root, ['up', '-d'], ssh());
      expect(up.exitCode, up.stderr + up.stdout).toBe(0);
      expect(up.stdout).toMatch(/^site: carried image \w+ to login \(\d+ MB, charliecloud\)$/m);
      expect(up.stdout).toMatch(/^site: submitted job \d+ \(which-project lists it and it has no job\)$/m);
      // The summary names the node the job runs on and the port it took there.
      const at = /\b(c[12]):(\d+)->8080\/tcp/.exec(up.stdout);
      expect(at, up.stdout).not.toBeNull();
      const [node, port] = [at![1]!, Number(at![2])];

      const [row] = await psRows(root);
      expect(row).toMatchObject({ project: 'site', state: 'running', node, gpus: 1 });
      const logs = await envctl(root, ['logs', 'site'], ssh());
      // Slurm gave the job one of the node's two GPUs, and the runtime passed it on.
      expect(logs.stdout).toMatch(new RegExp(`^site/web +\\| started on ${node} with GPUs [01]$`, 'm'));

      // Through the login node, on this machine's 127.0.0.1.
      const tunnel = execa('node', [CLI, 'tunnel', '--json'], {
        cwd: root,
        env: { NO_COLOR: '1', ...ssh() },
        reject: false,
      });
      const output = followOutput({ all: tunnel.stdout });
      await output.waitFor(/\]\s*$/, 0, 30_000);
      const rows = JSON.parse(output.text()) as Array<{ local: number; host: string; remote: number }>;
      expect(rows).toEqual([expect.objectContaining({ host: node, remote: port })]);
      expect((await httpGet(`http://127.0.0.1:${rows[0]!.local}/`, 30_000)).body).toBe('hello from the cluster\n');
      tunnel.kill('SIGINT');
      await tunnel;

      // exec and shell run in the job's container, on its node, with its GPU (srun --overlap).
      const exec = await envctl(root, ['exec', 'site', '--', 'sh', '-c', 'cat /work/www/index.html; exit 5'], ssh());
      expect([exec.stdout, exec.exitCode]).toEqual(['hello from the cluster', 5]);
      const shell = await execa('node', [CLI, 'shell', 'site'], {
        cwd: root,
        env: { NO_COLOR: '1', ...ssh() },
        input: 'echo "$(hostname) $CUDA_VISIBLE_DEVICES $PWD"\nexit 4\n',
        reject: false,
      });
      expect([shell.stdout.trim(), shell.exitCode]).toEqual([expect.stringMatching(new RegExp(`^${node} [01] /$`)), 4]);

      // What the job wrote in the project folder comes back with envctl sync.
      const synced = await envctl(root, ['sync'], ssh());
      expect(synced.exitCode, synced.stderr).toBe(0);
      expect(readFileSync(join(root, 'projects/site/from-job.txt'), 'utf8')).toBe('written in the job\n');

      const again = await envctl(root, ['up', '-d'], ssh());
      expect(again.exitCode, again.stderr).toBe(0);
      expect(again.stdout).toContain('Nothing to do');
      expect(again.stdout).not.toContain('carried image');
    } finally {
      expect((await envctl(root, ['down'], ssh())).exitCode).toBe(0);
    }
    expect(await liveJobs()).toEqual([]);
  }, 180_000);

  it('stays in the foreground: its URL forwarded here, its output, its folder in sync; Ctrl+C cancels it', async () => {
    // What the job writes as it is cancelled can only come back by the last sync, after the job ended.
    const command =
      "trap 'echo bye > /work/bye.txt; exit 0' TERM; echo started on $(hostname); httpd -f -p $PORT -h /work/www & wait";
    const root = clusterWorkspace({
      'which-project': 'fg\n',
      'projects/fg/compose.yml': [
        'services:',
        '  web:',
        '    image: busybox:latest',
        `    command: ["sh", "-c", "${command}"]`,
        '    volumes: ["./:/work"]',
        '    ports: ["8080"]',
        '',
      ].join('\n'),
      'projects/fg/www/index.html': 'in the foreground\n',
    });
    const local = (file: string) => join(root, 'projects/fg', file);
    const up = execa('node', [CLI, 'up'], { cwd: root, env: { NO_COLOR: '1', ...ssh() }, all: true, reject: false });
    const output = followOutput(up);
    try {
      const forwarded = /127\.0\.0\.1:(\d+) => (c[12]):\d+->8080\/tcp/;
      const at = await output.waitFor(forwarded, 0, 120_000);
      const [, port, node] = forwarded.exec(output.text())!;
      expect((await httpGet(`http://127.0.0.1:${port}/`, 30_000)).body).toBe('in the foreground\n');
      await output.waitFor(new RegExp(`^fg/web +\\| started on ${node}$`, 'm'), at, 30_000);

      writeFileSync(local('saved-here.txt'), 'from the laptop\n');
      await expect
        .poll(async () => (await envctl(root, ['exec', 'fg', '--', 'cat', '/work/saved-here.txt'], ssh())).stdout, {
          timeout: 30_000,
        })
        .toBe('from the laptop');
    } finally {
      up.kill('SIGINT');
    }
    const ended = await up;
    expect(ended.exitCode, output.text()).toBe(130);
    expect(output.text()).toMatch(/^fg: cancelled job \d+$/m);
    expect(output.text()).toContain('Stopped 1 job.');
    expect(await liveJobs()).toEqual([]);
    expect(readFileSync(local('bye.txt'), 'utf8')).toBe('bye\n');
  }, 180_000);

  it('up -d --watch: a project added to which-project is submitted and forwarded here; Ctrl+C leaves the jobs', async () => {
    const serve = (text: string) =>
      `services:\n  web:\n    image: busybox:latest\n    command: ["sh", "-c", "mkdir -p /tmp/$$ && echo ${text} > /tmp/$$/index.html && exec httpd -f -p $PORT -h /tmp/$$"]\n    ports: ["8080"]\n`;
    const root = clusterWorkspace({
      'which-project': 'one\n',
      'projects/one/compose.yml': serve('first'),
      'projects/two/compose.yml': serve('second'),
    });
    const watch = execa('node', [CLI, 'up', '-d', '--watch'], {
      cwd: root,
      env: { NO_COLOR: '1', ...ssh() },
      all: true,
      reject: false,
    });
    const output = followOutput(watch);
    try {
      const watching = await output.waitFor(/^Watching /m, 0, 120_000);
      writeFileSync(join(root, 'which-project'), 'one\ntwo\n');
      await output.waitFor(/^two: submitted job \d+/m, watching, 60_000);
      const forward = /two\/web: 127\.0\.0\.1:(\d+) => server port \d+/;
      await output.waitFor(forward, watching, 60_000);
      const port = forward.exec(output.text())![1];
      expect((await httpGet(`http://127.0.0.1:${port}/`, 30_000)).body).toBe('second\n');
    } finally {
      watch.kill('SIGINT');
    }
    expect((await watch).exitCode, output.text()).toBe(0);
    // -d: Ctrl+C ends only the watcher and its forwards; the jobs keep running.
    try {
      expect((await psRows(root)).map((row) => [row.project, row.state])).toEqual([
        ['one', 'running'],
        ['two', 'running'],
      ]);
    } finally {
      expect((await envctl(root, ['down'], ssh())).exitCode).toBe(0);
    }
  }, 180_000);

  it('shows a job that asks more GPUs than are free as pending with the reason; a project taken out is cancelled', async () => {
    const [a, b, c] = [sleeper(2), sleeper(2), sleeper(2)];
    const root = clusterWorkspace({
      'which-project': 'a\nb\nc\n',
      'projects/a/envctl.yml': a.envctl,
      'projects/a/compose.yml': a.compose,
      'projects/b/envctl.yml': b.envctl,
      'projects/b/compose.yml': b.compose,
      'projects/c/envctl.yml': c.envctl,
      'projects/c/compose.yml': c.compose,
    });
    try {
      const up = await envctl(root, ['up', '-d'], ssh());
      expect(up.exitCode, up.stderr + up.stdout).toBe(0);
      await expect
        .poll(async () => (await psRows(root)).map((row) => row.state).sort(), { timeout: 30_000 })
        .toEqual(['pending (Resources)', 'running', 'running']);
      const pending = (await psRows(root)).find((row) => row.state.startsWith('pending'))!;

      writeFileSync(
        join(root, 'which-project'),
        ['a', 'b', 'c'].filter((p) => p !== pending.project).join('\n') + '\n',
      );
      const less = await envctl(root, ['up', '-d'], ssh());
      expect(less.exitCode, less.stderr).toBe(0);
      expect(less.stdout).toContain(
        `${pending.project}: cancelled job ${pending.job} (its project is not in which-project)`,
      );
      expect((await liveJobs()).filter((name) => name.endsWith(`-${pending.project}`))).toEqual([]);

      const down = await envctl(root, ['down'], ssh());
      expect(down.exitCode, down.stderr).toBe(0);
      expect(down.stdout.match(/cancelled job \d+/g)).toHaveLength(2);
      expect(await liveJobs()).toEqual([]);
    } finally {
      await envctl(root, ['down'], ssh());
    }
  }, 180_000);

  it('shows a job ended by its time limit as such, and up submits it again', async () => {
    const job = sleeper(0);
    const root = clusterWorkspace(
      { 'which-project': 'short\n', 'projects/short/compose.yml': job.compose },
      '  time: "1"\n',
    );
    try {
      const up = await envctl(root, ['up', '-d'], ssh());
      expect(up.exitCode, up.stderr + up.stdout).toBe(0);
      const first = (await psRows(root))[0]!;
      await expect
        .poll(async () => (await psRows(root))[0]?.state, { timeout: 150_000, interval: 5_000 })
        .toBe('ended by its time limit');
      const again = await envctl(root, ['up', '-d'], ssh());
      expect(again.exitCode, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/^short: submitted job \d+ \(its last job ended \(ended by its time limit\)\)$/m);
      const second = (await psRows(root))[0]!;
      expect(second.job).not.toBe(first.job);
      expect(second.state).toBe('running');
    } finally {
      expect((await envctl(root, ['down'], ssh())).exitCode).toBe(0);
    }
  }, 240_000);

  it("runs from a login node itself (engine: slurm): the project folder is the job's, no copy", async () => {
    const root = workspace({
      'workspace.yml': `engine: slurm\nslurm:\n  root: ${cluster.shared}/here\n`,
      'which-project': 'here\n',
      'projects/here/compose.yml':
        'services:\n  job:\n    image: busybox:latest\n    volumes: ["./:/work"]\n    command: ["sh", "-c", "hostname > /work/ran-on.txt; exec sleep 600"]\n',
    });
    // This machine is a client of the cluster, as its login node is.
    const here = { SLURM_CONF: cluster.slurmConf };
    try {
      const doctor = await envctl(root, ['doctor'], here);
      for (const line of [
        /^✔ Docker Engine: .* at unix:\/\/\/var\/run\/docker\.sock \(builds for the Slurm cluster here\)$/m,
        /^✔ Slurm login node: this machine$/m,
        /^✔ Slurm: slurm-wlm 22\./m,
        /^✔ Container runtime: charliecloud \(found on the cluster\)$/m,
        /^✔ Shared folder: .*\/shared\/here is writable$/m,
        /^✔ GPUs: the partitions offer gpu:2$/m,
      ])
        expect(doctor.stdout).toMatch(line);
      expect(doctor.stdout).not.toContain('NVIDIA driver');
      const up = await envctl(root, ['up', '-d'], here);
      expect(up.exitCode, up.stderr + up.stdout).toBe(0);
      expect(up.stdout).not.toContain('synced with');
      const ranOn = join(root, 'projects/here/ran-on.txt');
      await expect
        .poll(() => (existsSync(ranOn) ? readFileSync(ranOn, 'utf8') : ''), { timeout: 30_000 })
        .toMatch(/^c[12]\n$/);
      expect((await psRows(root, here)).map((row) => row.state)).toEqual(['running']);
    } finally {
      expect((await envctl(root, ['down'], here)).exitCode).toBe(0);
    }
    expect(await liveJobs()).toEqual([]);
  }, 120_000);

  it('refuses at the file and line what a job cannot carry, submitting nothing', async () => {
    const root = clusterWorkspace({
      'which-project': 'odd\n',
      'projects/odd/compose.yml': 'services:\n  web:\n    image: busybox:latest\n    privileged: true\n',
    });
    const up = await envctl(root, ['up', '-d'], ssh());
    expect(up.exitCode).toBe(2);
    expect(up.stderr).toMatch(/compose\.yml:4.*"privileged".*on a Slurm cluster/s);
    expect(await liveJobs()).toEqual([]);
  }, 60_000);
});
