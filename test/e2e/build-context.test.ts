import { randomUUID } from 'node:crypto';
import { cpSync, createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { envctl, REPO } from '../support/workspace.js';
import { engineAnswers, engineWorkspaces } from './engine-support.js';

/** Host ports 29050-29059 are this file's. */
const hasEngine = await engineAnswers();
const workspace = engineWorkspaces();
const DATA_MB = 40;

/**
 * A unix socket in front of the engine's that counts the bytes envctl sends through it: what a build's
 * context weighs, seen from outside envctl.
 */
async function countingProxy(): Promise<{ host: string; sent: () => number; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'envctl-proxy-'));
  const path = join(dir, 'docker.sock');
  let sent = 0;
  const server: Server = createServer((client) => {
    const engine = connect('/var/run/docker.sock');
    client.on('data', (chunk: Buffer) => (sent += chunk.length));
    client.pipe(engine).pipe(client);
    const close = () => {
      client.destroy();
      engine.destroy();
    };
    client.on('error', close);
    engine.on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    host: `unix://${path}`,
    sent: () => sent,
    close: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        }),
      ),
  };
}

/** A data file of `mb` megabytes, written in chunks. */
async function bigFile(path: string, mb: number): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  const out = createWriteStream(path);
  const chunk = Buffer.alloc(1024 * 1024, 7);
  for (let i = 0; i < mb; i++)
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  await new Promise<void>((resolve) => out.end(() => resolve()));
}

const proxies: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of proxies.splice(0)) await close();
});

describe.runIf(hasEngine)("a build is sent only what its Dockerfile reads, never the project's data", () => {
  it('builds a template project and a project of its own without sending their data/ folders', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "29050-29059"\n',
      'which-project': 'tpl\nown\n',
      'projects/tpl/envctl.yml': 'template: webbuild\nports: { http: 29051 }\n',
      // Inputs of this test's own, so that the build is not one another test made (it would be tagged, not built).
      'projects/tpl/requirements.txt': `numpy # ${randomUUID()}\n`,
      'projects/own/compose.yml':
        'services:\n  app:\n    build: { context: . }\n    image: envctl-test/own-context:latest\n' +
        '    command: ["sleep", "600"]\n    stop_signal: SIGKILL\n',
      'projects/own/Dockerfile': 'FROM busybox:latest\nCOPY . /app\n',
      'projects/own/.dockerignore': 'data\n',
      'projects/own/notes.txt': `kept ${randomUUID()}\n`,
    });
    cpSync(join(REPO, 'test', 'fixtures', 'templates', 'webbuild'), join(root, 'templates', 'webbuild'), {
      recursive: true,
    });
    await bigFile(join(root, 'projects', 'tpl', 'data', 'train.bin'), DATA_MB);
    await bigFile(join(root, 'projects', 'own', 'data', 'train.bin'), DATA_MB);

    const proxy = await countingProxy();
    proxies.push(proxy.close);
    const up = await envctl(root, ['up', '-d'], { DOCKER_HOST: proxy.host });
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/built envctl-test\/\S+-tpl:latest/);
    expect(up.stdout).toMatch(/built envctl-test\/own-context:latest/);
    // Two builds and a few containers' worth of API calls, against 2 × 40 MB of data.
    expect(proxy.sent()).toBeLessThan(1024 * 1024);

    const copied = await envctl(root, ['exec', 'own', '--', 'ls', '-a', '/app']);
    expect(copied.stdout.split('\n').sort()).toEqual([
      '.',
      '..',
      '.dockerignore',
      'Dockerfile',
      'compose.yml',
      'notes.txt',
    ]);
    const served = await envctl(root, ['exec', 'tpl', '--', 'cat', '/requirements.txt']);
    expect(served.stdout).toMatch(/^numpy # /);
  });
});
