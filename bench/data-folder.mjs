// Build context bench: `envctl up -d --build` of a project on a template that builds from the project folder
// (webbuild: FROM busybox:latest, COPY requirements.txt), with and without a DATA_GB data/ folder beside the
// requirements, interleaved. The envctl under test is dist/bundle/main.js, or the one ENVCTL_CLI names (an
// older build, to measure what it did). Prints JSON lines and a summary: the ratio with/without is the target
// (at most 1.2).
//   node bench/data-folder.mjs [trials, default 5] [data GB, default 2]
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { median } from './stats.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = process.env.ENVCTL_CLI ?? join(REPO, 'dist', 'bundle', 'main.js');
const TRIALS = Number(process.argv[2] ?? 5);
const DATA_GB = Number(process.argv[3] ?? 2);

async function workspace(withData) {
  const root = mkdtempSync(join(tmpdir(), 'envctl-data-bench-'));
  cpSync(join(REPO, 'test', 'fixtures', 'templates', 'webbuild'), join(root, 'templates', 'webbuild'), {
    recursive: true,
  });
  writeFileSync(join(root, 'workspace.yml'), `name: databench\nports:\n  range: "31500-31599"\n`);
  writeFileSync(join(root, 'which-project'), 'course\n');
  mkdirSync(join(root, 'projects', 'course', 'data'), { recursive: true });
  writeFileSync(join(root, 'projects', 'course', 'envctl.yml'), 'template: webbuild\n');
  writeFileSync(join(root, 'projects', 'course', 'requirements.txt'), 'numpy\n');
  // Real blocks on disk (not a sparse file): what a dataset is to the tar that reads it.
  if (withData)
    await execa('dd', [
      'if=/dev/urandom',
      `of=${join(root, 'projects', 'course', 'data', 'train.bin')}`,
      'bs=1M',
      `count=${Math.round(DATA_GB * 1024)}`,
      'status=none',
    ]);
  // Written data is flushed before the clock starts: the bench measures the build, not the page cache's writeback.
  await execa('sync');
  return root;
}

const rows = [];
for (let trial = 0; trial < TRIALS; trial++) {
  for (const withData of trial % 2 ? [true, false] : [false, true]) {
    const root = await workspace(withData);
    const started = process.hrtime.bigint();
    const up = await execa('node', [CLI, 'up', '-d', '--build'], { cwd: root, reject: false, env: { NO_COLOR: '1' } });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await execa('node', [CLI, 'down'], { cwd: root, reject: false });
    rmSync(root, { recursive: true, force: true });
    if (up.exitCode !== 0) throw new Error(`up failed: ${up.stderr}`);
    const row = { trial, data: withData ? `${DATA_GB} GB` : 'none', seconds: Number(seconds.toFixed(3)) };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}

const without = median(rows.filter((row) => row.data === 'none').map((row) => row.seconds));
const withData = median(rows.filter((row) => row.data !== 'none').map((row) => row.seconds));
console.log(
  JSON.stringify({
    cli: CLI,
    machine: `${cpus().length} × ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
    medianWithoutData: without,
    medianWithData: withData,
    ratio: Number((withData / without).toFixed(2)),
    target: '≤ 1.2',
  }),
);
