import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { FIND_ENGINE_SCRIPT, forwardTarget, parseRemoteEngine } from '../../src/engine/remote-engine.js';

/** The script as a server's sh runs it, with the environment and PATH given. */
async function findEngine(env: Record<string, string>) {
  const { stdout } = await execa('/bin/sh', ['-c', FIND_ENGINE_SCRIPT], { env, extendEnv: false });
  return parseRemoteEngine(stdout);
}

describe("a server's engine, found as its docker CLI finds it", () => {
  it('asks the docker CLI where there is one: it follows DOCKER_HOST', async () => {
    const found = await findEngine({ PATH: process.env.PATH!, DOCKER_HOST: 'unix:///run/user/1000/docker.sock' });
    expect(found).toEqual({
      endpoint: 'unix:///run/user/1000/docker.sock',
      foundBy: 'its docker CLI (context default)',
    });
  });

  it('without a docker CLI: DOCKER_HOST, else the rootless socket, else the default one', async () => {
    const noCli = '/nonexistent';
    expect(await findEngine({ PATH: noCli, DOCKER_HOST: 'tcp://10.0.0.5:2375' })).toEqual({
      endpoint: 'tcp://10.0.0.5:2375',
      foundBy: 'its DOCKER_HOST',
    });
    const runtime = mkdtempSync(join(tmpdir(), 'envctl-xdg-'));
    const socket = createServer().listen(join(runtime, 'docker.sock'));
    await new Promise((resolve) => socket.once('listening', resolve));
    try {
      expect(await findEngine({ PATH: noCli, XDG_RUNTIME_DIR: runtime })).toEqual({
        endpoint: `unix://${runtime}/docker.sock`,
        foundBy: 'its rootless engine (XDG_RUNTIME_DIR)',
      });
    } finally {
      socket.close();
      rmSync(runtime, { recursive: true, force: true });
    }
    expect(await findEngine({ PATH: noCli, XDG_RUNTIME_DIR: '/nonexistent' })).toEqual({
      endpoint: 'unix:///var/run/docker.sock',
      foundBy: 'the default socket',
    });
  });

  it('forwards a unix socket or a TCP address, and refuses what SSH cannot carry', () => {
    expect(forwardTarget({ endpoint: 'unix:///run/podman/podman.sock', foundBy: '' }, 'gpu1')).toBe(
      '/run/podman/podman.sock',
    );
    expect(forwardTarget({ endpoint: 'tcp://127.0.0.1:2375', foundBy: '' }, 'gpu1')).toBe('127.0.0.1:2375');
    expect(() => forwardTarget({ endpoint: 'ssh://other', foundBy: 'its DOCKER_HOST' }, 'gpu1')).toThrow(
      /gpu1 is ssh:\/\/other \(its DOCKER_HOST\), which envctl cannot reach through SSH/,
    );
  });
});
