import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeTarget, engineId, parseEngineAddress, resolveEngineTarget } from '../../src/engine/engine-target.js';
import { InputError } from '../../src/errors/envctl-error.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A DOCKER_CONFIG folder holding contexts as the docker CLI writes them. */
function dockerConfig(contexts: Record<string, string>, current?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'envctl-docker-config-'));
  dirs.push(dir);
  for (const [name, host] of Object.entries(contexts)) {
    const meta = join(dir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
    mkdirSync(meta, { recursive: true });
    writeFileSync(join(meta, 'meta.json'), JSON.stringify({ Name: name, Endpoints: { docker: { Host: host } } }));
  }
  if (current) writeFileSync(join(dir, 'config.json'), JSON.stringify({ currentContext: current }));
  return dir;
}

describe('engine targets', () => {
  it('parses unix, ssh (user, port) and tcp addresses', () => {
    expect(parseEngineAddress('unix:///run/user/1000/docker.sock', 'DOCKER_HOST')).toMatchObject({
      kind: 'unix',
      socket: '/run/user/1000/docker.sock',
    });
    expect(parseEngineAddress('ssh://ada@gpu1.lab:2222', '--engine')).toMatchObject({
      kind: 'ssh',
      ssh: { user: 'ada', host: 'gpu1.lab', port: 2222 },
    });
    expect(parseEngineAddress('ssh://gpu1', '--engine')).toMatchObject({ ssh: { user: undefined, port: undefined } });
    expect(parseEngineAddress('tcp://10.0.0.5', '--engine', {})).toMatchObject({
      kind: 'tcp',
      port: 2375,
      tls: undefined,
    });
    expect(
      parseEngineAddress('tcp://10.0.0.5', '--engine', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nowhere' }),
    ).toMatchObject({
      port: 2376,
      tls: { verify: true },
    });
  });

  it('refuses what it cannot speak, naming the file and line it came from', () => {
    const location = { file: '/w/workspace.yml', line: 3 };
    expect(() => parseEngineAddress('http://gpu1', 'workspace.yml', {}, location)).toThrow(
      /\/w\/workspace\.yml:3: the engine address "http:\/\/gpu1" uses http:\/\/, which envctl does not speak/,
    );
    expect(() => parseEngineAddress('ssh://gpu1/var/run', '--engine')).toThrow(InputError);
  });

  it('takes --engine, then workspace.yml, then DOCKER_HOST, DOCKER_CONTEXT, the current context, the local socket', () => {
    const config = dockerConfig({ lab: 'ssh://ada@lab', other: 'tcp://other:2375' }, 'other');
    const setting = { value: 'lab', location: { file: 'workspace.yml', line: 1 } };
    const env = { DOCKER_CONFIG: config, DOCKER_HOST: 'ssh://env-host', DOCKER_CONTEXT: 'lab' };
    expect(resolveEngineTarget({ option: 'ssh://cli', setting, env })).toMatchObject({
      source: '--engine',
      ssh: { host: 'cli' },
    });
    expect(resolveEngineTarget({ setting, env })).toMatchObject({ source: 'workspace.yml', ssh: { host: 'lab' } });
    expect(resolveEngineTarget({ env })).toMatchObject({ source: 'DOCKER_HOST', ssh: { host: 'env-host' } });
    expect(resolveEngineTarget({ env: { DOCKER_CONFIG: config, DOCKER_CONTEXT: 'lab' } })).toMatchObject({
      source: 'DOCKER_CONTEXT',
      ssh: { user: 'ada', host: 'lab' },
    });
    expect(resolveEngineTarget({ env: { DOCKER_CONFIG: config } })).toMatchObject({
      source: 'docker context',
      host: 'other',
    });
    expect(resolveEngineTarget({ env: { DOCKER_CONFIG: dockerConfig({}) } })).toMatchObject({
      kind: 'unix',
      socket: '/var/run/docker.sock',
      source: 'default',
    });
  });

  it('refuses a context that does not exist, with how to list them', () => {
    expect(() => resolveEngineTarget({ option: 'nope', env: { DOCKER_CONFIG: dockerConfig({}) } })).toThrow(
      /there is no Docker context named "nope"/,
    );
  });

  it('names state per engine: "local" for the default socket, the destination for others', () => {
    expect(engineId(parseEngineAddress('unix:///var/run/docker.sock', 'default'))).toBe('local');
    expect(engineId(parseEngineAddress('ssh://ada@gpu1:2222', '--engine'))).toBe('ssh-ada@gpu1-2222');
    expect(engineId(parseEngineAddress('unix:///run/user/1000/docker.sock', '--engine'))).toBe(
      'unix-_run_user_1000_docker.sock',
    );
  });
});

describe('swarm targets', () => {
  it('reads "swarm" as the swarm of the engine Docker would use, "swarm+ADDRESS" as that manager\'s', () => {
    const setting = { value: 'swarm', location: { file: 'workspace.yml', line: 1 } };
    expect(resolveEngineTarget({ setting, env: { DOCKER_HOST: 'ssh://ada@mgr' } })).toMatchObject({
      kind: 'swarm',
      source: 'workspace.yml',
      manager: { kind: 'ssh', source: 'workspace.yml', ssh: { host: 'mgr' } },
    });
    const over = resolveEngineTarget({ option: 'swarm+ssh://ada@mgr1', env: {} });
    expect(over).toMatchObject({ kind: 'swarm', manager: { kind: 'ssh', ssh: { user: 'ada', host: 'mgr1' } } });
    expect(engineId(over)).toBe('swarm-ssh-ada@mgr1');
    expect(describeTarget(over)).toBe('the swarm of ssh://ada@mgr1');
  });
});

describe('Slurm targets', () => {
  it('reads "slurm+ssh://login" as a cluster reached through that login node, images built where Docker builds', () => {
    const setting = { value: 'slurm+ssh://ada@login.hpc', location: { file: 'workspace.yml', line: 1 } };
    const target = resolveEngineTarget({ setting, env: { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' } });
    expect(target).toMatchObject({
      kind: 'slurm',
      login: { user: 'ada', host: 'login.hpc' },
      builder: { kind: 'unix', socket: '/run/user/1000/docker.sock' },
    });
    expect(engineId(target)).toBe('slurm-ada@login.hpc');
    expect(describeTarget(target)).toBe('the Slurm cluster of ssh://ada@login.hpc');
    const here = resolveEngineTarget({ option: 'slurm', env: {} });
    expect([here.kind === 'slurm' && here.login, engineId(here)]).toEqual([undefined, 'slurm-local']);
  });

  it('refuses a login node that is not an ssh:// address, at its line', () => {
    const setting = { value: 'slurm+tcp://login:2375', location: { file: 'workspace.yml', line: 3 } };
    expect(() => resolveEngineTarget({ setting, env: {} })).toThrow(
      /workspace\.yml:3: "slurm\+tcp:\/\/login:2375" names no login node over SSH/,
    );
  });
});
