// npm run bench: envctl against the engine's floor and docker-compose, interleaved, on a real engine.
// Writes bench/RESULTS.md and bench/up-time.svg. BENCH_RUNS (default 5) and BENCH_SIZES (default 1,10,30,100).
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import Docker from 'dockerode';
import { allocatePorts } from '../dist/allocation/ports/allocate-ports.js';
import { HostPortProbe } from '../dist/allocation/ports/probe.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(REPO, 'dist', 'bundle', 'main.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SIZES = (process.env.BENCH_SIZES ?? '1,10,30,100').split(',').map(Number);
const COMPOSE_MAX_SIZE = Number(process.env.BENCH_COMPOSE_MAX_SIZE ?? 30);
const docker = new Docker();
const results = new Map(); // name → number[] (ms)

function record(name, ms) {
  if (!results.has(name)) results.set(name, []);
  results.get(name).push(ms);
}

/** Busy CPU time of the whole machine (all cores, every process: the engine's too), in ms. */
function machineBusyMs() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + fields[4]; // idle + iowait
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return ((total - idle) * 1000) / 100; // USER_HZ is 100 on Linux
}

/** Times `work`, and records the CPU time the machine spent meanwhile: where an up's time goes. */
async function timedWithCpu(name, work) {
  const busy = machineBusyMs();
  await timed(name, work);
  record(`machine CPU time during ${name}`, machineBusyMs() - busy);
}

async function timed(name, work) {
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  record(name, ms);
  return ms;
}

function workspace(size, portBase) {
  const root = mkdtempSync(join(tmpdir(), 'envctl-bench-'));
  cpSync(join(REPO, 'test', 'fixtures', 'templates', 'web'), join(root, 'templates', 'web'), { recursive: true });
  const names = Array.from({ length: size }, (_, i) => `p${i}`);
  writeFileSync(join(root, 'which-project'), `${names.join('\n')}\n`);
  writeFileSync(join(root, 'workspace.yml'), `name: bench\nports:\n  range: "${portBase}-${portBase + 999}"\n`);
  for (const name of names) {
    mkdirSync(join(root, 'projects', name), { recursive: true });
    writeFileSync(join(root, 'projects', name, 'envctl.yml'), `template: web\nports: { http: ${portBase} }\n`);
  }
  ageFiles(root);
  return root;
}

/**
 * Sets the workspace's files a minute back, as they are when someone runs up again later: files changed less
 * than a second before an up leave no up stamp (src/up-stamp/record.ts), which is right for an edit but
 * would make the first round of the bench measure another path than the others.
 */
function ageFiles(dir) {
  const past = new Date(Date.now() - 60_000);
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) ageFiles(path);
    utimesSync(path, past, past);
  }
}

const envctl = (root, ...args) =>
  execa('node', [CLI, ...args], { cwd: root, env: { NO_COLOR: '1', ENVCTL_DEBUG: '1' } });
const compose = (root, ...args) =>
  execa('docker-compose', ['-f', 'docker-compose.yml', ...args], { cwd: join(root, 'compose') });
let floorRun = 0;
const floor = async (root, command) => {
  if (command === 'up') floorRun += 1;
  const result = await execa(
    'node',
    [join(REPO, 'bench', 'floor.mjs'), command, join(root, 'compose', 'docker-compose.yml')],
    { env: { FLOOR_PROJECT: `floor${floorRun}` } },
  );
  if (/stale endpoint/.test(result.stderr)) {
    process.stderr.write(result.stderr);
    record('floor downs that left a stale endpoint (count)', 1);
  }
  return result;
};

async function engineLifecycles() {
  for (const size of SIZES) {
    const root = workspace(size, 23000);
    await envctl(root, 'render'); // the same merged file for every contender
    for (let run = 0; run < RUNS; run++) {
      // Interleaved, so that drift of the machine hits the contenders alike.
      await timedWithCpu(`up ${size}: envctl`, () => envctl(root, 'up', '-d'));
      await timed(`no-op up ${size}: envctl`, async () => expectPath(await envctl(root, 'up', '-d'), 'stamp'));
      // The same no-op without the stamp: render, plan and the engine's answer, as every changed up does.
      rmSync(join(root, 'compose', 'up-stamp.json'));
      await timed(`no-op up ${size}: envctl, full path`, async () =>
        expectPath(await envctl(root, 'up', '-d'), 'full'),
      );
      await timed(`down ${size}: envctl`, () => envctl(root, 'down'));
      await timedWithCpu(`up ${size}: floor`, () => floor(root, 'up'));
      await timed(`down ${size}: floor`, () => floor(root, 'down'));
      // docker-compose 1.29 hung here at 100 projects (26 containers up, the engine idle for 9 minutes): it is
      // measured up to COMPOSE_MAX_SIZE; envctl is held to the floor at every size.
      if (size > COMPOSE_MAX_SIZE) continue;
      await timedWithCpu(`up ${size}: docker-compose`, () => compose(root, 'up', '-d'));
      await timed(`no-op up ${size}: docker-compose`, () => compose(root, 'up', '-d'));
      await dockerComposeDown(root, `down ${size}: docker-compose`);
    }
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * dockerd 20.10 sometimes refuses to remove a network right after its last container went ("has active
 * endpoints"), and docker-compose then fails. Such a sample is dropped, said on stderr, and the network removed
 * by a second `down`, so that the next round starts clean.
 */
async function dockerComposeDown(root, name) {
  try {
    await timed(name, () => compose(root, 'down'));
  } catch (error) {
    if (!/has active endpoints/.test(error.stderr ?? '')) throw error;
    process.stderr.write(
      `bench: ${name}: docker-compose failed to remove the network (active endpoints); sample dropped\n`,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await compose(root, 'down');
  }
}

/** The bench measures what it says: a no-op up answered from the stamp, or the full path. */
function expectPath(result, path) {
  const full = /up takes the full path: (.*)/.exec(result.stderr)?.[1];
  if ((path === 'full') !== (full !== undefined))
    throw new Error(`bench: expected the ${path} path of up, got ${full ? `the full path (${full})` : 'the stamp'}`);
  if (!result.stdout.includes('Nothing to do')) throw new Error(`bench: a no-op up did something:\n${result.stdout}`);
}

async function portAllocator() {
  const requests = Array.from({ length: 200 }, (_, p) =>
    Array.from({ length: 5 }, (_, i) => ({
      key: `p${p}/web/${8000 + i}/tcp`,
      project: `p${p}`,
      service: 'web',
      name: `port${i}`,
      container: 8000 + i,
      protocol: 'tcp',
      preferred: 30000,
      bind: '127.0.0.1',
      url: undefined,
    })),
  ).flat();
  for (let run = 0; run < RUNS; run++) {
    let state;
    await timed('ports 1000/200 projects: cold', async () => {
      state = (
        await allocatePorts({
          requests,
          previous: new Map(),
          range: { from: 30000, to: 31999 },
          probe: new HostPortProbe(),
          enginePorts: new Map(),
        })
      ).state;
    });
    await timed('ports 1000/200 projects: sticky', () =>
      allocatePorts({
        requests,
        previous: state,
        range: { from: 30000, to: 31999 },
        probe: new HostPortProbe(),
        enginePorts: new Map(),
      }),
    );
  }
}

async function watchReaction() {
  const root = workspace(2, 24000);
  const log = join(root, 'reaction.jsonl');
  const child = execa('node', [CLI, 'up', '-d', '--watch'], {
    cwd: root,
    env: { NO_COLOR: '1', ENVCTL_REACTION_LOG: log },
    reject: false,
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  await until(() => output, /Watching/);
  for (let i = 0; i < 20; i++) {
    const before = output.length;
    writeFileSync(
      join(root, 'projects', 'p0', 'envctl.yml'),
      `template: web\nports: { http: 24000 }\nenv: { SAVE: "${i}" }\n`,
    );
    await until(() => output.slice(before), /recreated/);
  }
  child.kill('SIGINT');
  await child;
  for (const line of readFileSync(log, 'utf8').trim().split('\n'))
    record('watch reaction (save → first engine call)', JSON.parse(line).reactionMs);
  await envctl(root, 'down');
  rmSync(root, { recursive: true, force: true });
}

async function cliStart() {
  const root = workspace(10, 25000);
  await envctl(root, 'up', '-d');
  // The engine and docker-proxy go on working for a moment after up returns: measure the steady state.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  for (let run = 0; run < Math.max(RUNS, 20); run++) {
    await timed('envctl --version', () => execa('node', [CLI, '--version']));
    await timed('envctl ps (10 projects running)', () => envctl(root, 'ps'));
    await timed('node -e 0 (the runtime alone)', () => execa('node', ['-e', '0']));
  }
  await envctl(root, 'down');
  rmSync(root, { recursive: true, force: true });
}

async function watcherMemory() {
  const root = workspace(50, 26000);
  const child = execa('node', [CLI, 'up', '-d', '--watch'], {
    cwd: root,
    env: { NO_COLOR: '1' },
    reject: false,
    all: true,
  });
  let output = '';
  child.all.on('data', (chunk) => (output += chunk));
  await until(() => output, /Watching/, 180_000);
  // One edit, so the figure includes a reconcile of all 50 projects while watching.
  const before = output.length;
  writeFileSync(join(root, 'projects', 'p0', 'envctl.yml'), 'template: web\nports: { http: 26000 }\nenv: { X: "1" }\n');
  await until(() => output.slice(before), /recreated/);
  // VmHWM: the kernel's peak resident set size of the watcher process.
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  record('peak RSS of up -d --watch holding 50 projects (MB)', Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) / 1024);
  child.kill('SIGINT');
  await child;
  await envctl(root, 'down');
  rmSync(root, { recursive: true, force: true });
}

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted.at(-1), n: sorted.length };
}

async function machine() {
  const info = await docker.info();
  const version = await docker.version();
  return {
    cpu: `${cpus().length} × ${cpus()[0].model}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    kernel: info.KernelVersion,
    dockerd: `${version.Version} (API ${version.ApiVersion}), storage ${info.Driver}`,
    compose: (await execa('docker-compose', ['version', '--short'])).stdout,
    node: process.version,
  };
}

/** Waits until `read()` matches, failing with what was read after `timeoutMs`. */
async function until(read, pattern, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(read())) {
    if (Date.now() > deadline)
      throw new Error(`bench: no ${pattern} within ${timeoutMs} ms in:\n${read().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const started = new Date();
const phases = { engineLifecycles, portAllocator, watchReaction, cliStart, watcherMemory };
for (const [name, phase] of Object.entries(phases)) {
  if (process.env.BENCH_ONLY && !process.env.BENCH_ONLY.split(',').includes(name)) continue;
  process.stderr.write(`bench: ${name}\n`);
  await phase();
}
const env = await machine();
const previous =
  process.env.BENCH_ONLY && existsSync(join(REPO, 'bench', 'results.json'))
    ? JSON.parse(readFileSync(join(REPO, 'bench', 'results.json'), 'utf8')).results
    : {};
const summary = Object.fromEntries([...results].map(([name, values]) => [name, stats(values)]));
// BENCH_ONLY re-measures some phases and keeps the others' figures.
writeFileSync(
  join(REPO, 'bench', 'results.json'),
  `${JSON.stringify({ date: started.toISOString(), machine: env, runs: RUNS, results: { ...previous, ...summary } }, null, 2)}\n`,
);
const { writeReport } = await import('./report.mjs');
writeReport(join(REPO, 'bench'));
