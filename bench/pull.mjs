// Pull bench: the first `envctl up -d` of a project whose image must be pulled (the test engine's registry,
// 127.0.0.1:5000/envctl-test/layers:3: busybox and three random layers, 12 MB), piped and on a terminal (script(1),
// the in-place display), beside the engine's floor (`docker pull` of the same image) and `docker-compose up -d`
// of the same service, interleaved; the image is removed before each run (but for the row that measures what is
// not the pull). Needs scripts/test-engine.sh start.
//   node bench/pull.mjs [trials, default 7]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { median } from './stats.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = process.env.ENVCTL_CLI ?? join(REPO, 'dist', 'bundle', 'main.js');
const TRIALS = Number(process.argv[2] ?? 7);
const IMAGE = '127.0.0.1:5000/envctl-test/layers:3';

function workspace() {
  const root = mkdtempSync(join(tmpdir(), 'envctl-pull-bench-'));
  mkdirSync(join(root, 'projects', 'p'), { recursive: true });
  writeFileSync(join(root, 'workspace.yml'), 'name: pullbench\nports:\n  range: "31600-31609"\n');
  writeFileSync(join(root, 'which-project'), 'p\n');
  writeFileSync(
    join(root, 'projects', 'p', 'compose.yml'),
    `services:\n  app:\n    image: ${IMAGE}\n    command: ["sleep", "600"]\n`,
  );
  return root;
}

const forget = () => execa('docker', ['rmi', '-f', IMAGE], { reject: false });

/** The seconds `run` takes, with the image removed first; what comes after (the down) is not timed. */
async function timed(run, after = async () => undefined, pulled = false) {
  if (pulled) await execa('docker', ['pull', '-q', IMAGE]);
  else await forget();
  const started = process.hrtime.bigint();
  const result = await run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await after();
  if (result.exitCode !== 0) throw new Error(`${result.command}: ${result.stderr}`);
  return seconds;
}

/** envctl's up (or another command line in the workspace) timed, then down and the workspace removed. */
async function inWorkspace(up, pulled = false) {
  const root = workspace();
  return timed(
    () => up(root),
    async () => {
      await execa('node', [CLI, 'down'], { cwd: root, reject: false });
      rmSync(root, { recursive: true, force: true });
    },
    pulled,
  );
}

const envctlUp = (root) => execa('node', [CLI, 'up', '-d'], { cwd: root, reject: false, env: { NO_COLOR: '1' } });

const ways = {
  'docker pull (floor)': () => timed(() => execa('docker', ['pull', '-q', IMAGE], { reject: false })),
  'envctl up -d, piped': () => inWorkspace(envctlUp),
  // The same up with the image already on the engine: what is not the pull.
  'envctl up -d, image already here': () => inWorkspace(envctlUp, true),
  'envctl up -d, terminal': () =>
    inWorkspace((root) =>
      execa('script', ['-qec', `stty rows 40 cols 150; node ${CLI} up -d`, join(root, 'typescript')], {
        cwd: root,
        reject: false,
      }),
    ),
  // The same service through docker-compose, in its own project (its down is not timed either).
  'docker-compose up -d': () => {
    const root = workspace();
    const file = join(root, 'projects', 'p', 'compose.yml');
    const compose = (...args) => execa('docker-compose', ['-p', 'pullbench', '-f', file, ...args], { reject: false });
    return timed(
      () => compose('up', '-d'),
      async () => {
        await compose('down', '-t', '0');
        rmSync(root, { recursive: true, force: true });
      },
    );
  },
};

const rows = [];
for (let trial = 0; trial < TRIALS; trial++) {
  const order = Object.keys(ways);
  if (trial % 2) order.reverse();
  for (const way of order) {
    const row = { trial, way, seconds: Number((await ways[way]()).toFixed(3)) };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}

const { stdout: engine } = await execa('docker', ['version', '--format', '{{.Server.Version}}']);
console.log(
  JSON.stringify({
    cli: CLI,
    machine: `${cpus().length} × ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB, dockerd ${engine}`,
    medians: Object.fromEntries(
      Object.keys(ways).map((way) => [way, median(rows.filter((row) => row.way === way).map((row) => row.seconds))]),
    ),
  }),
);
