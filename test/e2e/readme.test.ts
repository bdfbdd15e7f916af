import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/model/labels.js';
import { CLI, REPO } from '../support/workspace.js';
import { cleanEngine, docker, engineAnswers } from './engine-support.js';

const hasEngine = await engineAnswers();
const README = readFileSync(join(REPO, 'README.md'), 'utf8');

/** The README's fenced blocks with their language: ```sh blocks are the tour, run as written. */
function blocks(language: string): string[] {
  return [...README.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)]
    .filter((match) => match[1] === language)
    .map((match) => match[2]!);
}

describe('the README', () => {
  it('shows every envctl command it names with --help working', async () => {
    const commands = new Set([...README.matchAll(/`envctl ([a-z]+)/g)].map((match) => match[1]!));
    expect(commands.size).toBeGreaterThan(10);
    for (const command of commands) {
      const help = await execa('node', [CLI, command, '--help'], { reject: false });
      expect(help.exitCode, `envctl ${command} --help: ${help.stderr}`).toBe(0);
    }
  });

  describe.runIf(hasEngine)('tour, run as written against the test engine', () => {
    const dir = mkdtempSync(join(tmpdir(), 'envctl-readme-'));
    afterAll(async () => {
      await cleanEngine(join(dir, 'ml-lab'));
      rmSync(dir, { recursive: true, force: true });
    });

    it('runs every ```sh block in order, and the project it starts serves Jupyter', async () => {
      const tour = blocks('sh');
      expect(tour.length).toBeGreaterThanOrEqual(3);
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'envctl'), `#!/bin/sh\nexec node ${CLI} "$@"\n`);
      chmodSync(join(bin, 'envctl'), 0o755);
      // Stop before the last block (down) to see what the tour started, then run that block too.
      const [last, ...rest] = [tour.at(-1)!, ...tour.slice(0, -1)];
      const env = { PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1' };
      const first = await execa('bash', ['-e', '-c', rest.join('\n')], {
        cwd: dir,
        env,
        reject: false,
        all: true,
        timeout: 120_000,
      });
      expect(first.exitCode, first.all).toBe(0);
      expect(first.all).toMatch(
        /intro-ml\s+intro-ml-notebook\s+127\.0\.0\.1:\d+->8888\/tcp\s+http:\/\/127\.0\.0\.1:\d+\/notebook\?token=\S+/,
      );
      const url = /http:\/\/127\.0\.0\.1:\d+\/notebook\?token=(\S+)/.exec(first.all)!;
      const port = /127\.0\.0\.1:(\d+)\/notebook/.exec(url[0])![1];
      const deadline = Date.now() + 60_000;
      let status = 0;
      while (Date.now() < deadline && status !== 200) {
        status = await fetch(`http://127.0.0.1:${port}/api/status?token=${url[1]}`, {
          signal: AbortSignal.timeout(2000),
        }).then(
          (r) => r.status,
          () => 0,
        );
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(status).toBe(200);

      const down = await execa('bash', ['-e', '-c', `cd ml-lab\n${last}`], { cwd: dir, env, reject: false, all: true });
      expect(down.exitCode, down.all).toBe(0);
      const left = await docker.listContainers({
        all: true,
        filters: { label: [`${LABEL.root}=${join(dir, 'ml-lab')}`] },
      });
      expect(left).toEqual([]);
    }, 180_000);
  });
});
