// Rebuild bench (#24): a python-template project whose requirements.txt holds one 500 MB stand-in (torch) and ten
// small ones, against a package index of its own that answers as PyPI does (test/fixtures/pypi/serve-index.py),
// throttled to 20 MB/s. Three builds in a row: the first, after adding one small package, after removing one.
// envctl (BuildKit, pip's cache in a cache mount) against docker-compose building the same Dockerfile without the
// cache mount (its classic builder), interleaved; and the floor for the added package: pip installing it alone in
// the base image (docker run). Each trial starts with no build cache and none of the bench's images.
// Needs scripts/test-engine.sh start (the python:3.11-slim stand-in).
//   node bench/build.mjs [trials, default 3]
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { median } from './stats.mjs';
import { startOwnIndex } from '../test/fixtures/pypi/own-index.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = process.env.ENVCTL_CLI ?? join(REPO, 'dist', 'bundle', 'main.js');
const TRIALS = Number(process.argv[2] ?? 3);
const RATE = 20e6;
const MB = 1e6;

// Stand-ins with real names; the sizes are the bench's own choice (one big wheel, ten small ones), not PyPI's.
const BIG = { name: 'torch', version: '2.5.1', module: 'torch', bytes: 500 * MB };
const SMALL = [
  ['pandas', '2.2.3', 'pandas', 4],
  ['scipy', '1.14.1', 'scipy', 5],
  ['matplotlib', '3.9.2', 'matplotlib', 3],
  ['scikit-learn', '1.5.2', 'sklearn', 4],
  ['pillow', '11.0.0', 'PIL', 2],
  ['sympy', '1.13.3', 'sympy', 3],
  ['tqdm', '4.67.1', 'tqdm', 0.1],
  ['pyyaml', '6.0.2', 'yaml', 0.5],
  ['requests', '2.32.3', 'requests', 0.1],
  ['jinja2', '3.1.4', 'jinja2', 0.2],
].map(([name, version, module, size]) => ({ name, version, module, bytes: Math.round(size * MB) }));
const ADDED = { name: 'seaborn', version: '0.13.2', module: 'seaborn', bytes: Math.round(0.3 * MB) };
const REMOVED = 'tqdm';

const FIRST = [BIG, ...SMALL].map((dist) => dist.name);
const ADD = [...FIRST, ADDED.name];
const REMOVE = ADD.filter((name) => name !== REMOVED);

const docker0 = /inet (\S+)\//.exec((await execa('ip', ['-4', '-o', 'addr', 'show', 'docker0'])).stdout)[1];
const index = await startOwnIndex({ address: docker0, rate: RATE, extra: [BIG, ...SMALL, ADDED] });
const pipEnv = { PIP_INDEX_URL: index.url, PIP_TRUSTED_HOST: index.host };

/** The python template's Dockerfile as envctl's classic fallback writes it: no cache mount, its folder removed. */
function withoutCacheMount() {
  const text = readFileSync(join(REPO, 'templates', 'python', 'Dockerfile'), 'utf8');
  return text
    .replace(
      /RUN --mount=type=cache,\S+ \\\n(\s+.*)\n/,
      (_all, command) => `RUN ${command.trim()} && rm -rf /var/cache/envctl/pip\n`,
    )
    .replace(/^/, '# bench/build.mjs: templates/python/Dockerfile without its cache mount\n');
}

function workspaces(trial) {
  const root = mkdtempSync(join(tmpdir(), 'envctl-build-bench-'));
  const project = join(root, 'projects', 'p');
  mkdirSync(project, { recursive: true });
  writeFileSync(
    join(root, 'workspace.yml'),
    `name: buildbench${trial}\nports:\n  range: "31620-31629"\npip:\n  index_url: ${index.url}\n  trusted_host: ${index.host}\n`,
  );
  writeFileSync(join(root, 'which-project'), 'p\n');
  writeFileSync(join(project, 'envctl.yml'), 'template: python\nparams: { command: "exec sleep 600" }\n');
  const compose = join(root, 'compose-side');
  mkdirSync(compose);
  writeFileSync(join(compose, 'Dockerfile'), withoutCacheMount());
  const args = Object.entries(pipEnv)
    .map(([key, value]) => `        ${key}: "${value}"\n`)
    .join('');
  writeFileSync(
    join(compose, 'docker-compose.yml'),
    `services:\n  app:\n    build:\n      context: .\n      args:\n${args}    command: ["sleep", "600"]\n`,
  );
  return { root, project, compose };
}

const requirements = (folder, names) => writeFileSync(join(folder, 'requirements.txt'), `${names.join('\n')}\n`);

async function timed(run) {
  const started = process.hrtime.bigint();
  const result = await run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.exitCode !== 0) throw new Error(`${result.command}: ${result.stderr}`);
  return Number(seconds.toFixed(2));
}

/** No build cache, and none of the bench's images: each trial starts as a first build would. */
async function clean() {
  await execa('docker', ['builder', 'prune', '-af'], { reject: false });
  const filters = ['--filter', 'reference=*buildbench*', '--filter', 'reference=*/*buildbench*'];
  const { stdout } = await execa('docker', ['images', '-q', ...filters]);
  const images = stdout.split('\n').filter(Boolean);
  if (images.length) await execa('docker', ['rmi', '-f', ...images], { reject: false });
  await execa('docker', ['image', 'prune', '-f'], { reject: false });
}

const ways = {
  async envctl(trial, { root, project }) {
    const up = (args = []) => execa('node', [CLI, 'up', '-d', ...args], { cwd: root, reject: false });
    const rows = {};
    requirements(project, FIRST);
    rows.first = await timed(() => up());
    requirements(project, ADD);
    const before = index.downloads().length;
    rows.add = await timed(() => up());
    rows.addDownloads = index.downloads().slice(before);
    requirements(project, REMOVE);
    rows.remove = await timed(() => up());
    await execa('node', [CLI, 'down'], { cwd: root, reject: false });
    return rows;
  },
  async 'docker-compose'(trial, { compose }) {
    const run = (...args) =>
      execa('docker-compose', ['-p', `buildbench${trial}c`, ...args], { cwd: compose, reject: false });
    const rows = {};
    requirements(compose, FIRST);
    rows.first = await timed(() => run('up', '-d', '--build'));
    requirements(compose, ADD);
    const before = index.downloads().length;
    rows.add = await timed(() => run('up', '-d', '--build'));
    rows.addDownloads = index.downloads().slice(before);
    requirements(compose, REMOVE);
    rows.remove = await timed(() => run('up', '-d', '--build'));
    await run('down', '-t', '0');
    return rows;
  },
  // The floor for the rebuild after adding a package: pip installing that package alone, in the base image.
  async 'pip install of the added package alone'() {
    const install = ['pip', 'install', '-q', '--index-url', index.url, '--trusted-host', index.host, ADDED.name];
    return {
      add: await timed(() => execa('docker', ['run', '--rm', 'python:3.11-slim', ...install], { reject: false })),
    };
  },
};

const results = [];
try {
  for (let trial = 0; trial < TRIALS; trial++) {
    const order = Object.keys(ways);
    if (trial % 2) order.reverse();
    for (const way of order) {
      await clean();
      const folders = workspaces(trial);
      try {
        const row = { trial, way, ...(await ways[way](trial, folders)) };
        results.push(row);
        console.log(JSON.stringify(row));
      } finally {
        rmSync(folders.root, { recursive: true, force: true });
      }
    }
  }
} finally {
  index.stop();
  await clean();
}

const { stdout: engine } = await execa('docker', ['version', '--format', '{{.Server.Version}}']);
const medianOf = (way, key) =>
  median(results.filter((row) => row.way === way && row[key] !== undefined).map((row) => row[key]));
console.log(
  JSON.stringify({
    cli: CLI,
    machine: `${cpus().length} × ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB, dockerd ${engine}`,
    rate: `${RATE / MB} MB/s`,
    medians: Object.fromEntries(
      Object.keys(ways).map((way) => [
        way,
        Object.fromEntries(['first', 'add', 'remove'].map((key) => [key, medianOf(way, key)])),
      ]),
    ),
  }),
);
