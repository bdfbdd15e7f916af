import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { CLI, envctl } from '../support/workspace.js';
import {
  docker,
  engineAnswers,
  engineWorkspaces,
  hasImage,
  httpGet,
  indexAnswers,
  pipMirror,
  registryAnswers,
  TEST_REGISTRY,
  registryDiffIds,
  workspaceContainers,
} from './engine-support.js';

/**
 * A user's first run, on what users really get: each built-in template built from its stand-in base image
 * (test/fixtures/images: no Jupyter, as in the real ones), its own `pip install` run through the workspace's
 * pip mirror (the stand-in index of test/fixtures/pypi), and pulls from a real registry.
 */
const hasEngine = await engineAnswers();
const ready =
  hasEngine &&
  (await indexAnswers()) &&
  (await hasImage('python:3.11-slim')) &&
  (await hasImage('pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime'));
const workspace = engineWorkspaces();

/** The URL up printed for a project, and the token in it. */
function printedUrl(output: string, path: string): URL {
  const match = new RegExp(`http://127\\.0\\.0\\.1:\\d+/${path}\\?token=\\S+`).exec(output);
  expect(match, output).not.toBeNull();
  return new URL(match![0]);
}

/** The front end at the printed URL answers 200; without the token it sends the browser to log in. */
async function expectFrontEnd(url: URL): Promise<void> {
  const page = await httpGet(url.href, 60_000);
  expect(page.status, page.body).toBe(200);
  const bare = await fetch(`${url.origin}${url.pathname}`, { redirect: 'manual' });
  expect(bare.status).toBe(302);
  expect(bare.headers.get('location')).toMatch(/^\/login\?next=/);
}

async function imageEnv(root: string, project: string): Promise<string[]> {
  const container = (await workspaceContainers(root)).find((c) => c.Labels['dev.envctl.project'] === project)!;
  const image = await docker.getImage(container.Image).inspect();
  return image.Config.Env ?? [];
}

describe.runIf(ready)('the built-in templates on their stand-in base images, through a pip mirror', () => {
  it('jupyter installs and starts JupyterLab (the default) and Notebook, each serving the URL up prints', async () => {
    const root = workspace({
      'workspace.yml': `ports:\n  range: "29400-29449"\n${pipMirror()}`,
      'which-project': 'lab\nnb\n',
      'projects/lab/envctl.yml': 'template: jupyter\nports: { jupyter: 29401 }\n',
      'projects/lab/requirements.txt': 'numpy\n',
      'projects/nb/envctl.yml': 'template: jupyter\nparams: { app: notebook }\nports: { jupyter: 29402 }\n',
    });
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    await expectFrontEnd(printedUrl(up.stdout, 'lab'));
    await expectFrontEnd(printedUrl(up.stdout, 'tree'));
    // ps shows the same URLs, tokens and all, in its table and in --json; no compose file holds a token.
    const rows = JSON.parse((await envctl(root, ['ps', '--json'])).stdout) as Array<{ urls: string[] }>;
    expect(rows.flatMap((row) => row.urls).sort()).toEqual(
      [printedUrl(up.stdout, 'lab').href, printedUrl(up.stdout, 'tree').href].sort(),
    );
    expect((await envctl(root, ['ps'])).stdout).toContain(printedUrl(up.stdout, 'tree').href);
    const token = printedUrl(up.stdout, 'lab').searchParams.get('token')!;
    expect(readFileSync(join(root, 'compose/docker-compose.yml'), 'utf8')).not.toContain(token);
    // The project's requirements came through the mirror too; the mirror is not kept in the image.
    const numpy = await envctl(root, ['exec', 'lab', '--', 'python3', '-c', 'import numpy; print(numpy.__version__)']);
    expect(numpy.stdout.trim(), numpy.stderr).toBe('2.1.3');
    for (const project of ['lab', 'nb']) expect((await imageEnv(root, project)).join('\n')).not.toMatch(/PIP_/);
    // JupyterLab brings no notebook package: in the lab project `jupyter notebook` is not a command, as for real.
    const notebook = await envctl(root, ['exec', 'lab', '--', 'jupyter', 'notebook', '--version']);
    expect(notebook.exitCode).not.toBe(0);
    expect(notebook.stderr).toMatch(/jupyter-notebook` not found/);
  }, 300_000);

  it('pytorch installs JupyterLab into the image conda prefix beside torch, and serves /lab', async () => {
    const root = workspace({
      'workspace.yml': `ports:\n  range: "29450-29469"\n${pipMirror()}`,
      'which-project': 'deep\n',
      'projects/deep/envctl.yml': 'template: pytorch\ngpus: none\nports: { jupyter: 29451, tensorboard: 29452 }\n',
    });
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    await expectFrontEnd(printedUrl(up.stdout, 'lab'));
    const where = await envctl(root, [
      'exec',
      'deep',
      '--',
      'sh',
      '-c',
      'command -v jupyter-lab; python -c "import torch; print(torch.__version__)"',
    ]);
    expect(where.stdout.trim().split('\n'), where.stderr).toEqual(['/opt/conda/bin/jupyter-lab', '2.5.1+cu124']);
  }, 300_000);

  it('python installs requirements.txt through the mirror and runs main.py, which answers on the printed URL', async () => {
    const root = workspace({
      'workspace.yml': `ports:\n  range: "29470-29479"\n${pipMirror()}`,
      'which-project': 'svc\n',
      'projects/svc/envctl.yml': 'template: python\nports: { app: 29471 }\n',
      'projects/svc/requirements.txt': 'numpy==2.1.3\n',
      'projects/svc/main.py': [
        'import http.server, numpy',
        'class H(http.server.BaseHTTPRequestHandler):',
        '    def do_GET(self):',
        '        self.send_response(200); self.end_headers(); self.wfile.write(numpy.__version__.encode())',
        'http.server.HTTPServer(("", 8000), H).serve_forever()',
        '',
      ].join('\n'),
    });
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    // Piped, a build is one line as it starts: its own output is not printed line by line.
    expect(up.stdout).toMatch(/svc: building envctl\/\S+-svc-app:latest \(image not built yet\)\n/);
    expect(up.stdout).not.toMatch(/#\d+ |Collecting|Successfully/);
    const url = /http:\/\/127\.0\.0\.1:29471\/\S*/.exec(up.stdout)![0];
    const answer = await httpGet(url, 60_000);
    expect(answer).toEqual({ status: 200, body: '2.1.3' });

    // The mirror is a build input: another index means another build; the same settings again, none.
    writeFileSync(
      join(root, 'workspace.yml'),
      `${readFileSync(join(root, 'workspace.yml'), 'utf8')}  extra_index_url: ${new URL('/other/', url).href}\n`,
    );
    const plan = await envctl(root, ['up', '-d', '--dry-run']);
    expect(plan.stdout, plan.stderr).toMatch(/svc: build envctl\/\S+-svc-app:latest: /);
  }, 300_000);

  it("envctl new's python project runs its main.py at once, and stops on SIGTERM, not after 10 s", async () => {
    const root = workspace({ 'workspace.yml': `ports:\n  range: "29476-29479"\n${pipMirror()}`, 'which-project': '' });
    const made = await envctl(root, ['new', 'starter', '--template', 'python', '--enable']);
    expect(made.exitCode, made.stderr).toBe(0);
    expect(readFileSync(join(root, 'projects/starter/main.py'), 'utf8')).toMatch(/serve_forever/);
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    const url = /http:\/\/127\.0\.0\.1:2947\d\/\S*/.exec(up.stdout)![0];
    const hello = await httpGet(url, 60_000);
    expect([hello.status, hello.body]).toEqual([
      200,
      expect.stringMatching(/^Hello from starter on Python 3\.11\.\d+\n$/),
    ]);
    // Docker's init passes docker stop's SIGTERM on (exit 143); sh -c as PID 1 would wait for SIGKILL (137).
    const [container] = await workspaceContainers(root);
    await docker.getContainer(container!.Id).stop({ t: 30 });
    expect((await docker.getContainer(container!.Id).inspect()).State.ExitCode).toBe(143);
  }, 300_000);

  it('on a terminal, a build is one line redrawn in place with its step, its time and last output', async () => {
    const root = workspace({
      'workspace.yml': `ports:\n  range: "29486-29489"\n${pipMirror()}`,
      'which-project': 'tty\n',
      'projects/tty/envctl.yml': 'template: python\nparams: { command: "exec sleep 600" }\nports: { app: 29487 }\n',
      'projects/tty/requirements.txt': 'numpy\n',
    });
    const typescript = join(root, 'typescript');
    const run = await execa('script', ['-qec', `stty rows 40 cols 200; node ${CLI} up -d --no-cache`, typescript], {
      cwd: root,
      reject: false,
      env: { NO_COLOR: '1' },
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const output = readFileSync(typescript, 'utf8');
    const frames = output.match(/tty {2}envctl\/\S+-tty-app:latest {2}building {2}[^\r\n]*/g) ?? [];
    expect(
      frames.some((frame) => /building {2}\[stage-0 \d+\/\d+\] RUN --mount=type=cache\S* .* \d+s( \||$)/.test(frame)),
      output,
    ).toBe(true);
    expect(output).toContain(`${String.fromCharCode(27)}[1A`);
    expect(output).toMatch(/tty: built envctl\/\S+-tty-app:latest/);
  }, 300_000);

  it('a build that fails names its step and shows its whole output, not only its last lines', async () => {
    const root = workspace({
      'workspace.yml': `ports:\n  range: "29480-29489"\n${pipMirror()}`,
      'which-project': 'bad\n',
      'projects/bad/envctl.yml': 'template: python\nports: { app: 29481 }\n',
      'projects/bad/requirements.txt': 'numpy\nno-such-package-anywhere\n',
    });
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode).toBe(3);
    expect(up.stderr).toMatch(/failed at step \[stage-0 \d\/\d\] RUN --mount=type=cache,id=envctl-\S+-python-pip,/);
    expect(up.stderr).toMatch(
      /The build:\n {4}#1 \[internal\] load remote build context\n[\s\S]*no-such-package-anywhere/,
    );
    expect(up.stderr).toMatch(/#\d+ \d+\.\d{3} ERROR: No matching distribution found for no-such-package-anywhere/);
    expect(await workspaceContainers(root)).toEqual([]);
  }, 300_000);
});

const LAYERS = `${TEST_REGISTRY}/envctl-test/layers:3`;
const hasRegistry = hasEngine && (await registryAnswers());

describe.runIf(hasRegistry)('pulls from a real registry', () => {
  const pullProject = (image: string, port: string) =>
    workspace({
      'workspace.yml': `ports:\n  range: "${port}"\n`,
      'which-project': 'p\n',
      'projects/p/compose.yml': `services:\n  app:\n    image: ${image}\n    command: ["sleep", "600"]\n`,
    });
  // At a test's start, once the last test's containers are gone: the layers go too, so the pull is whole.
  // Every image of its repository, untagged ones too: an earlier pull's copy (left untagged when the test engine
  // pushed the image again) would hold its layers, and the pull would then be partial.
  const forget = async (image: string) => {
    const repository = image.slice(0, image.lastIndexOf(':'));
    const ofIt = (name: string) => name.startsWith(`${repository}:`) || name.startsWith(`${repository}@`);
    const images = await docker.listImages({ all: true });
    const copies = images.filter((found) => [...(found.RepoTags ?? []), ...(found.RepoDigests ?? [])].some(ofIt));
    for (const copy of copies)
      await docker
        .getImage(copy.Id)
        .remove({ force: true })
        .catch(() => undefined);
  };

  it('piped, a multi-layer pull says a few lines in all: its start, and its layers and size when done', async () => {
    await forget(LAYERS);
    const root = pullProject(LAYERS, '29490-29491');
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stdout).toContain(`p: pulling ${LAYERS}\n`);
    expect(up.stdout).toMatch(new RegExp(`p: pulled ${LAYERS.replace(/[.]/g, '\\.')} \\(4 layers, 1[23]\\.\\d MB\\)`));
    expect(up.all ?? up.stdout + up.stderr).not.toMatch(/Downloading|Extracting|Pull complete/);
    expect(up.stdout.split('\n').length).toBeLessThan(12);
  }, 120_000);

  it('on a terminal, draws one line per image in place while it pulls', async () => {
    await forget(LAYERS);
    const root = pullProject(LAYERS, '29492-29493');
    const typescript = join(root, 'typescript');
    // script(1) gives up a terminal; stty gives that terminal a size, as a real one has.
    const run = await execa('script', ['-qec', `stty rows 40 cols 150; node ${CLI} up -d`, typescript], {
      cwd: root,
      reject: false,
      env: { NO_COLOR: '1' },
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const output = readFileSync(typescript, 'utf8');
    const frames = output.match(/p {2}127\.0\.0\.1:5000\/envctl-test\/layers:3 {2}pulling {2}[^\r\n]*/g) ?? [];
    expect(frames.length, output).toBeGreaterThan(0);
    // 12 MB of random layers, and busybox's own when the engine does not have that layer already.
    expect(frames.at(-1)).toMatch(/\d\/4 layers, \d+\.\d\/1[23]\.\d MB, \d+%$/);
    // Each new frame erases the one before it (log-update's erase-line and cursor-up) instead of adding a line.
    const ESC = String.fromCharCode(27);
    expect(output).toContain(`${ESC}[2K${ESC}[1A${ESC}[2K${ESC}[G`);
    expect(output).toMatch(/p: pulled 127\.0\.0\.1:5000\/envctl-test\/layers:3 \(4 layers, 1[23]\.\d MB\)/);
  }, 120_000);

  it('a tag the registry does not have is exit 3 naming the image, and nothing is left running', async () => {
    const missing = `${TEST_REGISTRY}/envctl-test/layers:no-such-tag`;
    const root = pullProject(missing, '29494-29495');
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode).toBe(3);
    expect(up.stderr).toContain(`Could not pull image ${missing}`);
    expect(up.stderr).toContain(`${TEST_REGISTRY} has no image ${missing}: check the name and tag`);
    expect(up.stderr).not.toMatch(/\n\s+at /);
    expect(await workspaceContainers(root)).toEqual([]);
  }, 60_000);

  it('a registry that does not answer is exit 3 naming the image and the registry', async () => {
    const image = '127.0.0.1:5999/envctl-test/layers:3';
    const root = pullProject(image, '29496-29497');
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode).toBe(3);
    expect(up.stderr).toContain(`Could not pull image ${image}`);
    expect(up.stderr).toContain('The engine could not reach 127.0.0.1:5999');
    expect(up.stderr).not.toMatch(/\n\s+at /);
    expect(await workspaceContainers(root)).toEqual([]);
  }, 60_000);

  it.runIf(ready)(
    'a template whose base image comes from the registry pulls it as its build starts',
    async () => {
      const base = `${TEST_REGISTRY}/library/python:3.11-slim`;
      await forget(base);
      const root = workspace({
        'workspace.yml': `ports:\n  range: "29498-29499"\n${pipMirror()}`,
        'which-project': 'reg\n',
        'projects/reg/envctl.yml': `template: python\nparams: { base_image: "${base}", command: "exec sleep 600" }\n`,
      });
      const up = await envctl(root, ['up', '-d']);
      expect(up.exitCode, up.stderr).toBe(0);
      // BuildKit keeps what it pulls in its own store, not as an image: the proof is the built image's own
      // layers, which begin with those of the registry's image (its config's diff_ids).
      const built = await docker.getImage(`envctl/${up.stdout.match(/envctl\/(\S+-reg-app):latest/)![1]}`).inspect();
      expect(built.RootFS.Layers!.slice(0, 2)).toEqual(
        (await registryDiffIds('library/python', '3.11-slim')).slice(0, 2),
      );
      await forget(base);
    },
    180_000,
  );

  it("names a template's base image that cannot be pulled, and its parameter, not the built-in Dockerfile", async () => {
    const missing = `${TEST_REGISTRY}/library/no-such-python:3.11-slim`;
    const root = workspace({
      'workspace.yml': `ports:\n  range: "29482-29485"\n${pipMirror()}`,
      'which-project': 'base\n',
      'projects/base/envctl.yml': `template: python\nparams: { base_image: "${missing}" }\n`,
    });
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode).toBe(3);
    expect(up.stderr).toContain(`its base image ${missing} could not be pulled: not found.`);
    expect(up.stderr).toMatch(/127\.0\.0\.1:5000 has no image .*base_image parameter/s);
    expect(up.stderr).not.toMatch(/Fix the Dockerfile|templates\/python\/Dockerfile/);
  }, 120_000);
});
