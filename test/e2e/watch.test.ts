import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/model/labels.js';
import { CLI, removeWorkspace, REPO } from '../support/workspace.js';
import {
  cleanEngine,
  docker,
  engineAnswers,
  engineWorkspace,
  followOutput,
  httpGet,
  workspaceContainers,
} from './engine-support.js';

const hasEngine = await engineAnswers();

describe.runIf(hasEngine)('envctl up -d --watch on real files and a real engine', () => {
  let root: string;
  let child: ResultPromise;
  let output = '';

  /** Waits until the watcher's output, after `from`, matches; returns where the match ends. */
  async function waitFor(pattern: RegExp, from: number, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(output.slice(from));
      if (match) return from + match.index + match[0].length;
      if (Date.now() > deadline) throw new Error(`no ${pattern} in the watcher's output:\n${output.slice(from)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function containerIds(): Promise<Record<string, string>> {
    return Object.fromEntries((await workspaceContainers(root)).map((c) => [c.Labels[LABEL.project]!, c.Id]));
  }

  beforeAll(async () => {
    root = engineWorkspace({
      'workspace.yml': 'ports:\n  range: "21000-21099"\n',
      'which-project': 'alpha\nbeta\n',
      'projects/alpha/envctl.yml': 'template: web\n',
      'projects/beta/envctl.yml': 'template: webbuild\n',
      'projects/beta/requirements.txt': 'numpy\n',
      'projects/beta/notebook.ipynb': '{}\n',
      'projects/gamma/envctl.yml': 'template: web\n',
    });
    cpSync(join(REPO, 'test', 'fixtures', 'templates', 'webbuild'), join(root, 'templates', 'webbuild'), {
      recursive: true,
    });
    child = execa('node', [CLI, 'up', '-d', '--watch'], {
      cwd: root,
      reject: false,
      env: { NO_COLOR: '1', ENVCTL_REACTION_LOG: join(root, 'reaction.jsonl') },
      all: true,
    });
    child.all!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(/Watching which-project/, 0, 60_000);
  }, 90_000);

  afterAll(async () => {
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(0);
    // -d --watch: Ctrl+C ends only the watcher; the projects keep running.
    expect((await workspaceContainers(root)).every((c) => c.State === 'running')).toBe(true);
    await cleanEngine(root);
    removeWorkspace(root);
  });

  it('starts a project appended to which-project, and removes it when its line goes', async () => {
    let mark = output.length;
    appendFileSync(join(root, 'which-project'), 'gamma\n');
    mark = await waitFor(/gamma: created \S+/, mark);
    // Its URL, as the first up prints it.
    mark = await waitFor(/\ngamma +gamma-web +127\.0\.0\.1:(\d+)->8080\/tcp +http:\/\/127\.0\.0\.1:\1\/ /, mark);
    expect(Object.keys(await containerIds()).sort()).toEqual(['alpha', 'beta', 'gamma']);
    writeFileSync(join(root, 'which-project'), 'alpha\nbeta\n');
    await waitFor(/gamma: removed \S+ \(project gamma is no longer in which-project\)/, mark);
    expect(Object.keys(await containerIds()).sort()).toEqual(['alpha', 'beta']);
  });

  it('rebuilds and recreates only the project whose requirements.txt changed', async () => {
    const before = await containerIds();
    const image = async () =>
      (await docker.listContainers({ filters: { label: [`${LABEL.root}=${root}`, `${LABEL.project}=beta`] } }))[0]!
        .ImageID;
    const imageBefore = await image();
    const mark = output.length;
    writeFileSync(join(root, 'projects', 'beta', 'requirements.txt'), 'numpy\npandas\n');
    const recreated = await waitFor(/beta: recreated \S+ \(image rebuilt\)/, mark);
    // Then its URL, as for any project the watcher starts.
    await waitFor(/\nbeta +beta-web +127\.0\.0\.1:\d+->/, recreated);
    const after = await containerIds();
    expect(after.alpha).toBe(before.alpha);
    expect(after.beta).not.toBe(before.beta);
    expect(await image()).not.toBe(imageBefore);
    const port = (
      await docker.listContainers({ filters: { label: [`${LABEL.root}=${root}`, `${LABEL.project}=beta`] } })
    )[0]!.Ports.find((p) => p.PublicPort)!.PublicPort;
    expect((await httpGet(`http://127.0.0.1:${port}/`)).body).toBe('numpy\npandas\n');
  });

  it('changes nothing when a mounted notebook is edited', async () => {
    const before = await containerIds();
    const mark = output.length;
    writeFileSync(join(root, 'projects', 'beta', 'notebook.ipynb'), '{"cells": []}\n');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(output.slice(mark)).toBe('');
    expect(await containerIds()).toEqual(before);
  });

  it('keeps everything running while which-project is broken, says so once, and resumes when fixed', async () => {
    const before = await containerIds();
    let mark = output.length;
    writeFileSync(join(root, 'which-project'), 'alpha\nbta\n');
    mark = await waitFor(/which-project:2: there is no project "bta"/, mark);
    writeFileSync(join(root, 'which-project'), 'alpha\nbta\n# still broken\n');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(output.slice(mark)).not.toContain('there is no project');
    expect(await containerIds()).toEqual(before);
    writeFileSync(join(root, 'which-project'), 'alpha\n');
    await waitFor(/beta: removed/, mark);
    expect(Object.keys(await containerIds())).toEqual(['alpha']);
  });

  it('turns ten saves within 200 ms into one reconcile', async () => {
    const mark = output.length;
    for (let i = 0; i < 10; i++) {
      writeFileSync(join(root, 'projects', 'alpha', 'envctl.yml'), `template: web\nenv: { SAVE: "${i}" }\n`);
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    await waitFor(/alpha: recreated \S+ \(configuration changed\)/, mark);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const reconciles = output.slice(mark).match(/^changed: /gm) ?? [];
    expect(reconciles).toHaveLength(1);
    const env = (await docker.getContainer((await containerIds()).alpha!).inspect()).Config.Env;
    expect(env).toContain('SAVE=9');
  });

  it('records the reaction time, file saved to first engine call, of each reconcile', () => {
    const lines = readFileSync(join(root, 'reaction.jsonl'), 'utf8').trim().split('\n');
    const times = lines.map((line) => (JSON.parse(line) as { reactionMs: number }).reactionMs);
    // Five reconciles reached the engine: gamma added, gamma removed, requirements.txt, the fix, the ten saves.
    expect(times).toHaveLength(5);
    for (const ms of times) expect(ms).toBeGreaterThan(0);
  });
});

describe.runIf(hasEngine)('envctl up -d --watch follows build inputs at any depth of the context', () => {
  it('rebuilds when a file the Dockerfile copies from a subfolder changes, and not for a .dockerignored one', async () => {
    const root = engineWorkspace({
      'workspace.yml': 'ports:\n  range: "21100-21199"\n',
      'which-project': 'deep\n',
      'projects/deep/compose.yml':
        'services:\n  app:\n    build: { context: ./image }\n    image: envctl-test/deep:latest\n',
      'projects/deep/image/Dockerfile':
        'FROM busybox:latest\nCOPY . /app\nCMD ["sh", "-c", "cat /app/lib/deps.txt; sleep 600"]\n',
      'projects/deep/image/lib/deps.txt': 'numpy\n',
      'projects/deep/image/.dockerignore': 'scratch\n',
      'projects/deep/image/scratch/big.bin': 'x\n',
    });
    const child = execa('node', [CLI, 'up', '-d', '--watch'], {
      cwd: root,
      reject: false,
      env: { NO_COLOR: '1' },
      all: true,
    });
    const { text, waitFor } = followOutput(child);
    try {
      await waitFor(/Watching which-project/, 0);
      const id = async () => (await workspaceContainers(root))[0]!.Id;
      const first = await id();
      let mark = text().length;
      writeFileSync(join(root, 'projects', 'deep', 'image', 'scratch', 'big.bin'), 'y\n');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(text().slice(mark)).toBe('');
      mark = text().length;
      writeFileSync(join(root, 'projects', 'deep', 'image', 'lib', 'deps.txt'), 'numpy\npandas\n');
      await waitFor(/deep: recreated \S+ \(image rebuilt\)/, mark);
      expect(text().slice(mark)).toContain('changed: projects/deep/image/lib/deps.txt');
      expect(await id()).not.toBe(first);
    } finally {
      child.kill('SIGINT');
      await child;
      await cleanEngine(root);
      removeWorkspace(root);
    }
  }, 120_000);
});
