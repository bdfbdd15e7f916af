import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fastUpArgs } from '../../src/cli/fast-up.js';
import {
  engineDifference,
  filesDifference,
  outputSignatures,
  STAMP_FILE,
  type UpStamp,
} from '../../src/up-stamp/stamp.js';
import { fileSignature, modifiedMs, signaturesOf } from '../../src/up-stamp/file-signature.js';
import { snapshotOf } from '../../src/engine/engine-snapshot.js';
import type { ObservedContainer } from '../../src/engine/observed.js';
import { localEngineSocket, parseResponse } from '../../src/engine/engine-socket.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'envctl-stamp-'));
  dirs.push(dir);
  return dir;
}

const container = (id: string, hash: string, networks: string[]): ObservedContainer => ({
  id,
  name: id,
  state: 'running',
  status: 'Up',
  image: 'busybox:latest',
  imageId: 'sha256:i',
  labels: { 'com.docker.compose.config-hash': hash },
  networks,
  ports: [],
});
const snapshot = snapshotOf(
  {
    containers: [container('c2', 'h2', ['b', 'a']), container('c1', 'h1', ['a'])],
    networks: [
      {
        id: 'n1',
        name: 'ws_net',
        labels: { 'dev.envctl.config-hash': 'nh', 'dev.envctl.workspace.root': '/w' },
        subnets: [],
      },
      { id: 'n2', name: 'other', labels: {}, subnets: ['10.1.0.0/24'] },
    ],
    volumes: [{ name: 'v1', labels: {} }],
    images: new Map([['busybox:latest', { id: 'sha256:i', labels: {} }]]),
    builds: [],
  },
  '/w',
  ['busybox:latest', 'gone:1'],
);

function stamp(inputs: Record<string, string>, outputs: Record<string, string> = {}): UpStamp {
  return {
    format: 1,
    build: 'b1',
    root: '/w',
    uid: 1000,
    mirrorEnv: 'PIP_INDEX_URL=',
    engineSocket: '/var/run/docker.sock',
    inputs,
    outputs,
    routes: 'r1',
    imageReferences: ['busybox:latest'],
    engine: snapshot,
    warnings: [],
    summaryText: { plain: '', colored: '' },
  };
}

describe('the up stamp', () => {
  it('reduces the engine answers to sorted lines that hold what the plan compares', () => {
    expect(snapshot.containers).toEqual(['c1 running sha256:i h1 a', 'c2 running sha256:i h2 a,b']);
    expect(snapshot.networks).toEqual(['ws_net n1 nh']);
    expect(snapshot.volumes).toEqual(['v1']);
    expect(snapshot.images).toEqual(['busybox:latest sha256:i', 'gone:1 (absent)']);
  });

  it('tells a stopped, replaced or re-imaged container, and a retagged image, from the stamp', () => {
    const base = stamp({});
    expect(engineDifference(base, snapshot, 'r1')).toBeUndefined();
    expect(
      engineDifference(base, { ...snapshot, containers: ['c1 exited sha256:i h1 a', snapshot.containers[1]!] }, 'r1'),
    ).toBe("the engine's containers changed");
    expect(engineDifference(base, { ...snapshot, containers: [snapshot.containers[0]!] }, 'r1')).toBe(
      "the engine's containers changed",
    );
    expect(engineDifference(base, { ...snapshot, images: ['busybox:latest sha256:j', 'gone:1 (absent)'] }, 'r1')).toBe(
      "the engine's images changed",
    );
    expect(engineDifference(base, { ...snapshot, networks: [] }, 'r1')).toBe("the engine's networks changed");
    expect(engineDifference(base, snapshot, 'r2')).toBe("the host's routes changed");
  });

  it('sees a file written again with the same size, a file created where none was, and another build', async () => {
    const dir = tempDir();
    const config = join(dir, 'envctl.yml');
    const override = join(dir, 'compose.yml');
    writeFileSync(config, 'template: web\n');
    const inputs = signaturesOf([config, override]);
    expect(inputs[override]).toBe('absent');
    const now = {
      build: 'b1',
      engineSocket: '/var/run/docker.sock',
      uid: 1000,
      mirrorEnv: 'PIP_INDEX_URL=',
      outputs: {},
    };
    expect(filesDifference(stamp(inputs), now)).toBeUndefined();
    expect(filesDifference(stamp(inputs), { ...now, uid: 0 })).toBe('another user');
    expect(filesDifference(stamp(inputs), { ...now, mirrorEnv: 'PIP_INDEX_URL=http://mirror/simple' })).toMatch(
      /PIP_INDEX_URL/,
    );
    expect(filesDifference(stamp(inputs), { ...now, build: 'b2' })).toBe('another envctl build wrote the stamp');
    expect(filesDifference(stamp(inputs), { ...now, build: undefined })).toBe('another envctl build wrote the stamp');
    // The kernel stamps files from a clock ticking every few ms: let it tick (closer is the racy case, see record.ts).
    await new Promise((resolve) => setTimeout(resolve, 30));
    writeFileSync(config, 'template: wib\n');
    expect(filesDifference(stamp(inputs), now)).toBe(`${config} changed`);
    const again = signaturesOf([config, override]);
    writeFileSync(override, 'services: {}\n');
    expect(filesDifference(stamp(again), now)).toBe(`${override} changed`);
  });

  it('lists compose/ without itself and the lock, and sees an output removed', () => {
    const compose = tempDir();
    mkdirSync(join(compose, 'secrets'));
    mkdirSync(join(compose, '.envctl.lock'));
    writeFileSync(join(compose, 'docker-compose.yml'), 'services: {}\n');
    writeFileSync(join(compose, 'secrets', 'a.env'), 'TOKEN=x\n');
    writeFileSync(join(compose, STAMP_FILE), '{}');
    writeFileSync(join(compose, 'state.json.123456'), '{}');
    const outputs = outputSignatures(compose);
    expect(Object.keys(outputs).sort()).toEqual([
      join(compose, 'docker-compose.yml'),
      join(compose, 'secrets'),
      join(compose, 'secrets', 'a.env'),
    ]);
    rmSync(join(compose, 'docker-compose.yml'));
    const now = {
      build: 'b1',
      engineSocket: '/var/run/docker.sock',
      uid: 1000,
      mirrorEnv: 'PIP_INDEX_URL=',
      outputs: outputSignatures(compose),
    };
    expect(filesDifference(stamp({}, outputs), now)).toBe(`${join(compose, 'docker-compose.yml')} changed`);
  });

  it('keeps a file signature "absent" until the file exists, and reads its modification time', () => {
    const dir = tempDir();
    const file = join(dir, 'f');
    expect(fileSignature(file)).toBe('absent');
    expect(modifiedMs('absent')).toBeUndefined();
    writeFileSync(file, 'x');
    expect(fileSignature(file)).toMatch(/^f:1:\d+:\d+:\d+$/);
    expect(Math.abs(modifiedMs(fileSignature(file))! - Date.now())).toBeLessThan(5000);
    expect(fileSignature(dir)).toMatch(/^d:/);
  });
});

describe('the fast path around the stamp', () => {
  it('takes only `up -d` and `up --detach`, with the workspace option anywhere', () => {
    expect(fastUpArgs(['up', '-d'])).toEqual({ workspace: undefined });
    expect(fastUpArgs(['up', '--detach'])).toEqual({ workspace: undefined });
    expect(fastUpArgs(['-w', 'ws', 'up', '-d'])).toEqual({ workspace: 'ws' });
    expect(fastUpArgs(['up', '-d', '--workspace=ws'])).toEqual({ workspace: 'ws' });
    for (const argv of [
      ['up'],
      ['up', '-d', 'p1'],
      ['up', '-d', '--build'],
      ['up', '--watch', '-d'],
      ['up', '-d', '--dry-run'],
      ['ps'],
      ['-w', 'up'],
      ['down', '-d'],
    ]) {
      expect(fastUpArgs(argv), argv.join(' ')).toBeUndefined();
    }
  });

  it('talks to a local socket only', () => {
    expect(localEngineSocket({})).toBe('/var/run/docker.sock');
    expect(localEngineSocket({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toBe('/run/user/1000/docker.sock');
    expect(localEngineSocket({ DOCKER_HOST: 'tcp://10.0.0.2:2375' })).toBeUndefined();
    expect(localEngineSocket({ DOCKER_HOST: 'ssh://lab' })).toBeUndefined();
  });

  it('reads the engine answer: JSON on 200, undefined on 404, an error otherwise', () => {
    expect(
      parseResponse('HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n[{"Id":"x"}]\n', '/containers/json'),
    ).toEqual([{ Id: 'x' }]);
    expect(
      parseResponse('HTTP/1.0 404 Not Found\r\n\r\n{"message":"No such image"}', '/images/x/json'),
    ).toBeUndefined();
    expect(() => parseResponse('HTTP/1.0 500 Internal Server Error\r\n\r\n{"message":"boom"}', '/networks')).toThrow(
      /HTTP 500/,
    );
    expect(() => parseResponse('garbage', '/networks')).toThrow(/not an HTTP answer/);
  });
});
