import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/model/labels.js';
import { CLI, REPO } from '../support/workspace.js';
import { cleanEngine, docker, engineAnswers, indexAnswers, testIndex } from './engine-support.js';

const hasEngine = await engineAnswers();
// The tour's Jupyter is installed by the template's own pip install: from the stand-in index, as a mirror.
const hasIndex = hasEngine && (await indexAnswers());
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

  describe.runIf(hasIndex)('tour, run as written against the test engine', () => {
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
      // A user behind a mirror sets pip's own variables (README, "Package mirrors"); nothing here reaches PyPI.
      const index = testIndex()!;
      const env = {
        PATH: `${bin}:${process.env.PATH}`,
        NO_COLOR: '1',
        PIP_INDEX_URL: index.url,
        PIP_TRUSTED_HOST: index.host,
      };
      const first = await execa('bash', ['-e', '-c', rest.join('\n')], {
        cwd: dir,
        env,
        reject: false,
        all: true,
        timeout: 120_000,
      });
      expect(first.exitCode, first.all).toBe(0);
      expect(first.all).toMatch(
        /intro-ml\s+intro-ml-notebook\s+127\.0\.0\.1:\d+->8888\/tcp\s+http:\/\/127\.0\.0\.1:\d+\/tree\?token=\S+/,
      );
      // The link the tour says to open: Notebook's /tree with the token answers 200, and not without the token.
      const url = new URL(/http:\/\/127\.0\.0\.1:\d+\/tree\?token=\S+/.exec(first.all)![0]);
      const deadline = Date.now() + 60_000;
      let status = 0;
      while (Date.now() < deadline && status !== 200) {
        status = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.status,
          () => 0,
        );
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(status).toBe(200);
      const bare = await fetch(`${url.origin}/tree`, { redirect: 'manual' });
      expect(bare.status).toBe(302);

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
