import { cpSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/model/labels.js';
import { STAMP_FILE } from '../../src/up-stamp/stamp.js';
import { envctl, REPO } from '../support/workspace.js';
import { docker, engineAnswers, engineWorkspaces, httpGet, webProject, workspaceContainers } from './engine-support.js';

const hasEngine = await engineAnswers();
const workspace = engineWorkspaces();

/** Sets the workspace's files a minute back, as files are when someone runs up again later. */
function age(root: string, paths: string[]): void {
  const past = new Date(Date.now() - 60_000);
  for (const path of paths) utimesSync(join(root, path), past, past);
}

/** `up -d` with ENVCTL_DEBUG: what it printed, and whether it took the full path (and why). */
async function upDetached(root: string) {
  const result = await envctl(root, ['up', '-d'], { ENVCTL_DEBUG: '1' });
  expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
  const full = /up takes the full path: (.*)/.exec(result.stderr)?.[1];
  return { stdout: result.stdout, stderr: result.stderr, full };
}

/**
 * `up -d` that must be answered from the stamp. Other test files add and remove host routes while this one
 * runs (networks.test.ts), and a route change rightly sends up down its full path once: then it is asked again.
 */
async function upFromStamp(root: string) {
  const first = await upDetached(root);
  if (first.full !== "the host's routes changed") return first;
  return upDetached(root);
}

/** Projects a and b on the web template, on host ports `base` and `base + 1`. */
function twoProjects(base: number) {
  const root = workspace({
    'workspace.yml': `ports:\n  range: "${base}-${base + 99}"\n`,
    'which-project': 'a\nb\n',
    'projects/a/envctl.yml': webProject(`ports: { http: ${base} }\n`),
    'projects/b/envctl.yml': webProject(`ports: { http: ${base + 1} }\n`),
  });
  age(root, [
    'workspace.yml',
    'which-project',
    'projects/a/envctl.yml',
    'projects/b/envctl.yml',
    'templates/web/template.yml',
    'templates/web/compose.yml',
  ]);
  return root;
}

describe.runIf(hasEngine)('a second up -d with nothing changed (compose/up-stamp.json)', () => {
  it('answers from the stamp, printing what the full path prints, and starts nothing', async () => {
    const root = twoProjects(22200);
    const first = await upDetached(root);
    expect(first.full).toBe('no stamp of a whole up');
    expect(first.stderr).not.toContain('no up stamp written');
    const before = (await workspaceContainers(root)).map((c) => c.Id).sort();

    // It holds the summary, URLs with tokens among them: the owner's only, as state.json.
    expect(statSync(join(root, 'compose', STAMP_FILE)).mode & 0o777).toBe(0o600);
    const fast = await upFromStamp(root);
    expect(fast.full, fast.stderr).toBeUndefined();
    expect((await workspaceContainers(root)).map((c) => c.Id).sort()).toEqual(before);

    // The same question answered the full way: the same words, the same table.
    rmSync(join(root, 'compose', STAMP_FILE));
    const full = await upDetached(root);
    expect(full.full).toBe('no stamp of a whole up');
    expect(fast.stdout).toBe(full.stdout);
    expect(fast.stdout).toContain('Nothing to do');
    expect(fast.stdout).toMatch(/a\s+a-web\s+127\.0\.0\.1:222\d\d->8080\/tcp/);
  });

  it('takes the full path when a container was stopped or removed, and repairs it', async () => {
    const root = twoProjects(22300);
    await upDetached(root);
    const [first] = (await workspaceContainers(root)).filter((c) => c.Labels[LABEL.project] === 'a');
    await docker.getContainer(first!.Id).stop({ t: 0 });
    const stopped = await upDetached(root);
    expect(stopped.full).toBe("the engine's containers changed");
    expect(stopped.stdout).toMatch(/a: started .*a-web-1 \(was exited\)/);

    await upDetached(root); // stamps again
    await docker.getContainer(first!.Id).remove({ force: true });
    const removed = await upDetached(root);
    expect(removed.full).toBe("the engine's containers changed");
    expect(removed.stdout).toMatch(/a: created .*a-web-1/);
    const port = /127\.0\.0\.1:(\d+)->8080/.exec(removed.stdout)![1];
    expect((await httpGet(`http://127.0.0.1:${port}/`)).body).toContain('a hello');
  });

  it('takes the full path when an input changes, appears, or changed just before the up', async () => {
    const root = twoProjects(22400);
    await upDetached(root);

    writeFileSync(
      join(root, 'projects/a/envctl.yml'),
      webProject('ports: { http: 22400 }\nparams: { message: edited }\n'),
    );
    const edited = await upDetached(root);
    expect(edited.full).toBe(`${join(root, 'projects/a/envctl.yml')} changed`);
    expect(edited.stdout).toMatch(/a: recreated .*configuration changed/);
    // Written a moment ago: this up may have read it before a last write, so it leaves no stamp.
    expect(edited.stderr).toContain(
      `no up stamp written: ${join(root, 'projects/a/envctl.yml')} changed just before or during this up`,
    );
    age(root, ['projects/a/envctl.yml']);
    const restamped = await upDetached(root);
    expect(restamped.full).toBe('no stamp of a whole up');
    expect(restamped.stderr).not.toContain('no up stamp written');

    writeFileSync(join(root, 'projects/b/compose.yml'), 'services:\n  web:\n    environment:\n      GREETING: hi\n');
    const appeared = await upDetached(root);
    expect(appeared.full).toBe(`${join(root, 'projects/b/compose.yml')} changed`);
    expect(appeared.stdout).toMatch(/b: recreated/);
    const port = /b\s+b-web\s+127\.0\.0\.1:(\d+)->8080/.exec(appeared.stdout)![1];
    expect((await httpGet(`http://127.0.0.1:${port}/`)).body).toContain('b hello hi');
  });

  it.runIf(process.getuid?.() === 0)("takes the full path when the host's routes change (a VPN came up)", async () => {
    const root = twoProjects(22800);
    await upDetached(root);
    expect((await upFromStamp(root)).full).toBeUndefined();
    await execa('ip', ['route', 'add', '198.18.77.0/24', 'dev', 'lo']);
    try {
      expect((await upDetached(root)).full).toBe("the host's routes changed");
      expect((await upFromStamp(root)).full).toBeUndefined();
    } finally {
      await execa('ip', ['route', 'del', '198.18.77.0/24', 'dev', 'lo'], { reject: false });
    }
  });

  it("takes the full path when envctl's own output under compose/ was touched", async () => {
    const root = twoProjects(22500);
    await upDetached(root);
    const merged = join(root, 'compose', 'docker-compose.yml');
    const text = readFileSync(merged, 'utf8');
    writeFileSync(merged, '# edited by hand\n');
    const again = await upDetached(root);
    expect(again.full).toBe(`${merged} changed`);
    expect(readFileSync(merged, 'utf8')).toBe(text);
  });

  it('takes the full path after down, and when a container runs another image under the same name', async () => {
    const root = twoProjects(22600);
    await upDetached(root);
    expect((await envctl(root, ['down'])).exitCode).toBe(0);
    const afterDown = await upDetached(root);
    expect(afterDown.full).toBe("the engine's containers changed");
    expect((await workspaceContainers(root)).map((c) => c.State)).toEqual(['running', 'running']);

    // A project whose image name is its own, then given another image by `docker commit` of its container.
    const image = `envctl-test/stamp-${Date.now()}:latest`;
    await execa('docker', ['tag', 'busybox:latest', image]);
    try {
      writeFileSync(join(root, 'projects/a/compose.yml'), `services:\n  web:\n    image: ${image}\n`);
      age(root, ['projects/a/compose.yml']);
      await upDetached(root);
      expect((await upFromStamp(root)).full).toBeUndefined();
      const [a] = (await workspaceContainers(root)).filter((c) => c.Labels[LABEL.project] === 'a');
      await execa('docker', ['commit', a!.Id, image]);
      const retagged = await upDetached(root);
      expect(retagged.full).toBe("the engine's images changed");
      expect(retagged.stdout).toMatch(/a: recreated .*its image changed/);
    } finally {
      await envctl(root, ['down']);
      await execa('docker', ['rmi', '-f', image], { reject: false });
    }
  });

  it('keeps the stamp when a notebook is saved, and takes the full path (and rebuilds) when a build input changes', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "22700-22799"\n',
      'which-project': 'built\n',
      'projects/built/envctl.yml': 'template: webbuild\nports: { http: 22700 }\n',
      'projects/built/requirements.txt': 'numpy==1.0\n',
    });
    cpSync(join(REPO, 'test', 'fixtures', 'templates', 'webbuild'), join(root, 'templates', 'webbuild'), {
      recursive: true,
    });
    age(root, [
      'workspace.yml',
      'which-project',
      'projects/built/envctl.yml',
      'projects/built/requirements.txt',
      'templates/webbuild/template.yml',
      'templates/webbuild/compose.yml',
      'templates/webbuild/Dockerfile',
    ]);
    let image: string | undefined;
    try {
      const first = await upDetached(root);
      image = /built: built (\S+)/.exec(first.stdout)?.[1];
      expect(image).toBeDefined();
      writeFileSync(join(root, 'projects/built/analysis.ipynb'), '{"cells": []}\n');
      expect((await upFromStamp(root)).full).toBeUndefined();

      writeFileSync(join(root, 'projects/built/requirements.txt'), 'numpy==2.0\n');
      const changed = await upDetached(root);
      expect(changed.full).toBe(`${join(root, 'projects/built/requirements.txt')} changed`);
      expect(changed.stdout).toContain(`built: built ${image}`);
      expect(changed.stdout).toMatch(/built: recreated .* \(image rebuilt\)/);
      expect((await httpGet('http://127.0.0.1:22700/')).body).toBe('numpy==2.0\n');
    } finally {
      await envctl(root, ['down']);
      if (image) await execa('docker', ['rmi', '-f', image], { reject: false });
    }
  });
});
