// Teardown trials: does bounding the removals in flight avoid dockerd 20.10's stale endpoint count
// (moby/moby#43286), and at what cost? Each trial brings up PROJECTS projects of two services each (so every
// container is on the workspace network and its project's network), then `envctl down` with the removals in
// flight bounded (ENVCTL_TEARDOWN_CONCURRENCY) or not; strategies interleaved. Prints JSON lines and a summary.
//   node bench/teardown-trials.mjs [trials per strategy, default 8] [projects, default 50]
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import Docker from 'dockerode';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(REPO, 'dist', 'bundle', 'main.js');
const TRIALS = Number(process.argv[2] ?? 8);
const PROJECTS = Number(process.argv[3] ?? 50);
const STRATEGIES = { unbounded: 100000, bounded4: 4 };
const DOCKERD_LOG = process.env.DOCKERD_LOG ?? '/tmp/envctl-test-engine/dockerd.log';
const OVERLOAD = /sandbox .* not found|timed out|Container failed to exit within|failed to kill/i;
const docker = new Docker();

function workspace(trial) {
  const root = mkdtempSync(join(tmpdir(), 'envctl-teardown-'));
  cpSync(join(REPO, 'test', 'fixtures', 'templates', 'web'), join(root, 'templates', 'web'), { recursive: true });
  const names = Array.from({ length: PROJECTS }, (_, i) => `t${trial}p${i}`);
  writeFileSync(join(root, 'which-project'), `${names.join('\n')}\n`);
  writeFileSync(join(root, 'workspace.yml'), `name: teardown${trial}\nports:\n  range: "30000-30999"\n`);
  for (const name of names) {
    mkdirSync(join(root, 'projects', name), { recursive: true });
    writeFileSync(join(root, 'projects', name, 'envctl.yml'), 'template: web\n');
    writeFileSync(
      join(root, 'projects', name, 'compose.yml'),
      'services:\n  side:\n    image: busybox:latest\n    command: ["sleep", "3600"]\n    stop_signal: SIGKILL\n',
    );
  }
  return root;
}

const logSize = () => {
  try {
    return statSync(DOCKERD_LOG).size;
  } catch {
    return 0;
  }
};
const logSince = (offset) => {
  try {
    return readFileSync(DOCKERD_LOG).subarray(offset).toString();
  } catch {
    return '';
  }
};

const rows = [];
for (let trial = 0; trial < TRIALS; trial++) {
  for (const [strategy, limit] of trial % 2 ? Object.entries(STRATEGIES).reverse() : Object.entries(STRATEGIES)) {
    const root = workspace(`${trial}${strategy[0]}`);
    const env = { NO_COLOR: '1', ENVCTL_TEARDOWN_CONCURRENCY: String(limit) };
    const up = await execa('node', [CLI, 'up', '-d'], { cwd: root, env, reject: false });
    if (up.exitCode !== 0) throw new Error(`up failed: ${up.stderr}`);
    const offset = logSize();
    const start = performance.now();
    const down = await execa('node', [CLI, 'down'], { cwd: root, env, reject: false });
    const downMs = Math.round(performance.now() - start);
    const stuck = [...down.stderr.matchAll(/would not remove network (\S+)/g)].map((m) => m[1]);
    const overload = logSince(offset)
      .split('\n')
      .filter((line) => OVERLOAD.test(line)).length;
    const left = (await docker.listContainers({ all: true, filters: { label: [`dev.envctl.workspace.root=${root}`] } }))
      .length;
    const row = {
      strategy,
      trial,
      containers: PROJECTS * 2,
      downMs,
      exit: down.exitCode,
      stuck: stuck.length,
      overloadLines: overload,
      containersLeft: left,
    };
    rows.push(row);
    console.log(JSON.stringify(row));
    rmSync(root, { recursive: true, force: true });
  }
}
for (const strategy of Object.keys(STRATEGIES)) {
  const mine = rows.filter((row) => row.strategy === strategy);
  const times = mine.map((row) => row.downMs).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(
    `${strategy}: ${mine.length} trials, ${mine.filter((row) => row.stuck).length} with a stuck network, ` +
      `${mine.filter((row) => row.overloadLines).length} with dockerd overload lines, ` +
      `down median ${median} ms (min ${times[0]}, max ${times.at(-1)})`,
  );
}
