import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../src/engine/docker-engine.js';
import type { BuildLine } from '../../src/engine/buildkit-trace.js';
import { envctl, REPO } from '../support/workspace.js';
import { startOwnIndex, type OwnIndex } from '../fixtures/pypi/own-index.mjs';
import { docker, engineAnswers, engineWorkspaces, hasImage, testIndex } from './engine-support.js';

/**
 * The built-in python template's pip cache, kept in a BuildKit cache mount between builds, against an index of the
 * test's own that answers as PyPI does (test/fixtures/pypi/serve-index.py) and says what it served.
 */
const ready = (await engineAnswers()) && testIndex() !== undefined && (await hasImage('python:3.11-slim'));
const workspace = engineWorkspaces();

describe.runIf(ready)("pip's downloads kept between builds", () => {
  let index: OwnIndex;
  beforeAll(async () => {
    index = await startOwnIndex({ address: testIndex()!.host });
  });
  afterAll(() => index?.stop());

  const project = (root: string) => join(root, 'projects', 'cache');
  const imageHas = async (root: string, modules: string[]) => {
    const script = `import ${modules.join(', ')}; print(${modules.map((name) => `${name}.__version__`).join(', ')})`;
    return envctl(root, ['exec', 'cache', 'python', '-c', script]);
  };

  it('a rebuild after adding a package fetches only that package, and the image has every package', async () => {
    const root = workspace({
      'workspace.yml': `ports:\n  range: "29500-29503"\npip:\n  index_url: ${index.url}\n  trusted_host: ${index.host}\n`,
      'which-project': 'cache\n',
      'projects/cache/envctl.yml': 'template: python\nparams: { command: "exec sleep 600" }\n',
      'projects/cache/requirements.txt': 'numpy\njupyter-core\n',
    });
    const first = await envctl(root, ['up', '-d']);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(index.downloads().sort()).toEqual(['jupyter_core-5.7.2-py3-none-any.whl', 'numpy-2.1.3-py3-none-any.whl']);

    appendFileSync(join(project(root), 'requirements.txt'), 'jupyter-server\n');
    const second = await envctl(root, ['up', '-d']);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/cache: built envctl\/\S+-cache-app:latest/);
    // numpy and jupyter-core came from pip's cache: the index only revalidated their pages (304).
    expect(index.downloads().slice(2)).toEqual(['jupyter_server-2.14.2-py3-none-any.whl']);
    const pages = index.requests().filter((request) => request.path === '/simple/numpy/');
    expect(pages.map((request) => request.status)).toEqual([200, 304]);
    const has = await imageHas(root, ['numpy', 'jupyter_core', 'jupyter_server']);
    expect(has.exitCode, has.stderr).toBe(0);
    expect(has.stdout.trim()).toBe('2.1.3 5.7.2 2.14.2');

    // --no-cache starts clean: the cache mount too, so every package is fetched again.
    writeFileSync(join(project(root), 'requirements.txt'), 'numpy\n');
    const clean = await envctl(root, ['up', '-d', '--no-cache']);
    expect(clean.exitCode, clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/cache: built envctl\/\S+-cache-app:latest without cache/);
    expect(index.downloads().slice(3), JSON.stringify(index.requests())).toEqual(['numpy-2.1.3-py3-none-any.whl']);
    const after = await imageHas(root, ['numpy']);
    expect(after.stdout.trim()).toBe('2.1.3');
  }, 300_000);

  it('the classic builder builds a template without its cache mounts, and keeps no download cache in the image', async () => {
    const context = mkdtempSync(join(tmpdir(), 'envctl-classic-'));
    writeFileSync(join(context, 'requirements.txt'), 'numpy\n');
    const tag = `envctl-test/classic:${Date.now()}`;
    const lines: BuildLine[] = [];
    try {
      await new DockerEngine(docker).buildImage(
        {
          context,
          dockerfile: join(REPO, 'templates', 'python', 'Dockerfile'),
          tag,
          args: { PIP_INDEX_URL: index.url, PIP_TRUSTED_HOST: index.host },
          labels: {},
          dependencyFiles: ['requirements.txt'],
          cacheScope: 'envctl-test-classic',
          builder: 'classic',
        },
        (line) => lines.push(line),
      );
      expect(lines.map((line) => line.step).filter(Boolean), JSON.stringify(lines)).toContainEqual(
        expect.stringMatching(/^\[\d+\/\d+\] RUN +if .* && rm -rf \/var\/cache\/envctl\/pip$/),
      );
      const script = 'import numpy, os; print(numpy.__version__, os.path.exists("/var/cache/envctl/pip"))';
      const printed: string[] = [];
      const collect = new Writable({
        write: (chunk: Buffer, _encoding, done) => (printed.push(chunk.toString()), done()),
      });
      const [result, container] = (await docker.run(tag, ['python', '-c', script], collect, { Tty: true })) as [
        { StatusCode: number },
        { remove(): Promise<void> },
      ];
      await container.remove();
      expect(result.StatusCode).toBe(0);
      expect(printed.join('').trim()).toBe('2.1.3 False');
    } finally {
      rmSync(context, { recursive: true, force: true });
      await docker
        .getImage(tag)
        .remove()
        .catch(() => undefined);
    }
  }, 120_000);
});
