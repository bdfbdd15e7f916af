import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVCTL_BUILD_HASH, LABEL } from '../../src/model/labels.js';
import { envctl } from '../support/workspace.js';
import { engineAnswers, engineWorkspaces } from './engine-support.js';
import { SecondEngine } from './second-engine.js';

/**
 * envctl prune on an engine of the test's own (second-engine.ts): it removes the whole build cache and images
 * of every workspace on its engine, which would take what the other test files are building from under them.
 */
const ready = (await engineAnswers()) && process.getuid?.() === 0;
const workspace = engineWorkspaces();

const project = (name: string, marker: string) => ({
  [`projects/${name}/compose.yml`]: 'services:\n  app:\n    build: .\n    command: [sleep, "600"]\n',
  [`projects/${name}/Dockerfile`]:
    'FROM busybox:latest\n' +
    `RUN --mount=type=cache,target=/cache echo ${marker} > /cache/seen && echo ${marker} > /marker\n`,
});

describe.runIf(ready)('envctl prune', () => {
  const engine = new SecondEngine();
  const env = { NO_COLOR: '1', DOCKER_HOST: engine.host };
  beforeAll(async () => {
    await engine.start({ bridge: true });
    await engine.loadFrom('busybox:latest');
  }, 120_000);
  let root: string | undefined;
  afterAll(async () => {
    // Its containers first: a running one's mounts would keep the engine's data folder busy.
    if (root) await envctl(root, ['down'], env);
    await engine.remove();
  });

  const builds = async () =>
    (await engine.docker.listImages({ filters: { label: [ENVCTL_BUILD_HASH] } })).map((image) => ({
      project: image.Labels[LABEL.project],
      tags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>'),
    }));
  const cacheRecords = async () =>
    ((await engine.docker.df()) as { BuildCache?: Array<{ Type: string }> | null }).BuildCache ?? [];

  it("removes the build cache, replaced builds and dropped projects' images, asking first", async () => {
    root = workspace({ 'which-project': 'keep\ndropped\n', ...project('keep', 'k1'), ...project('dropped', 'd') });
    const up = await envctl(root, ['up', '-d'], env);
    expect(up.exitCode, up.stderr).toBe(0);
    writeFileSync(join(root, 'which-project'), 'keep\n');
    writeFileSync(join(root, 'projects/keep/Dockerfile'), project('keep', 'k2')['projects/keep/Dockerfile']!);
    const again = await envctl(root, ['up', '-d'], env);
    expect(again.exitCode, again.stderr).toBe(0);
    expect((await builds()).map((build) => build.project).sort()).toEqual(['dropped', 'keep', 'keep']);
    expect((await cacheRecords()).some((record) => record.Type === 'exec.cachemount')).toBe(true);

    const doctor = await envctl(root, ['doctor', '--json'], env);
    const checks = JSON.parse(doctor.stdout) as Array<{ name: string; detail: string }>;
    expect(checks.find((check) => check.name === 'Build cache')?.detail).toMatch(
      / of package downloads \(pip, conda\)/,
    );

    // Piped, nothing can answer its question: it refuses, and removes nothing.
    const piped = await envctl(root, ['prune'], env);
    expect(piped.exitCode).toBe(2);
    expect(piped.stderr).toContain('envctl prune --yes');
    expect(await builds()).toHaveLength(3);

    const pruned = await envctl(root, ['prune', '--yes'], env);
    expect(pruned.exitCode, pruned.stderr).toBe(0);
    expect(pruned.stdout).toMatch(/image envctl\S*-dropped-app:latest: dropped is not in its which-project/);
    expect(pruned.stdout).toMatch(/image sha256:\w+: a newer build replaced it/);
    expect(pruned.stdout).toMatch(/\nremoved the build cache \(\d+(\.\d)? kB\)\nfreed \d+(\.\d)? kB$/);
    expect(await builds()).toEqual([{ project: 'keep', tags: [expect.stringMatching(/-keep-app:latest$/)] }]);
    expect((await cacheRecords()).filter((record) => record.Type === 'exec.cachemount')).toEqual([]);
    // What runs is untouched.
    const ps = await envctl(root, ['ps', '--json'], env);
    expect(ps.stdout).toContain('"running"');
  }, 240_000);
});

describe.runIf(ready)('a build on an engine without a default bridge', () => {
  const engine = new SecondEngine();
  beforeAll(async () => {
    await engine.start();
    await engine.loadFrom('busybox:latest');
  }, 120_000);
  afterAll(() => engine.remove());

  it('says that its RUN steps need the bridge, and how to give it one', async () => {
    const root = workspace({ 'which-project': 'run\n', ...project('run', 'r') });
    const up = await envctl(root, ['up', '-d'], { DOCKER_HOST: engine.host });
    expect(up.exitCode).toBe(3);
    expect(up.stderr).toContain('network bridge not found');
    expect(up.stderr).toContain("RUN steps run on the engine's default bridge, and this engine has none");
  }, 60_000);
});
