import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { envctl } from '../support/workspace.js';
import { docker, engineAnswers, engineWorkspaces } from './engine-support.js';

/** Host ports 29070-29079 are this file's. */
const hasEngine = await engineAnswers();
const workspace = engineWorkspaces();
const folders: string[] = [];
afterAll(() => folders.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function dotfiles(): string {
  const dir = mkdtempSync(join(tmpdir(), 'envctl-dotfiles-'));
  folders.push(dir);
  writeFileSync(join(dir, '.gitconfig'), '[user]\n\tname = Ada Lovelace\n\temail = ada@example.org\n');
  writeFileSync(join(dir, '.bashrc'), "alias ll='ls -l'\n");
  writeFileSync(join(dir, 'install.sh'), 'echo ran >> "$HOME/install-count"\n');
  return dir;
}

/** Polls a command in the environment until it prints something: the setup runs as the container starts. */
async function whenSetUp(root: string, command: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const run = await envctl(root, ['exec', 'thesis', '--', 'sh', '-c', command]);
    if (run.exitCode === 0 && run.stdout) return run.stdout;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`"${command}" printed nothing in the environment`);
}

describe.runIf(hasEngine)('dotfiles: your shell and git setup in every environment', () => {
  it("links the folder's dotfiles into the home, runs its install script once per container", async () => {
    const root = workspace({
      'workspace.yml': `ports:\n  range: "29070-29079"\ndotfiles: ${dotfiles()}\n`,
      'which-project': 'thesis\n',
      'projects/thesis/envctl.yml':
        'template: python\nports: { app: 29071 }\nparams:\n  base_image: envctl-test/dotfiles-base:1\n  command: "exec sleep 600"\n',
    });
    // A base of this test's own: its build is not one another test made.
    await docker.getImage('python:3.11-slim').tag({ repo: 'envctl-test/dotfiles-base', tag: '1' });
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(await whenSetUp(root, 'cat ~/install-count 2>/dev/null')).toBe('ran');
    expect(await whenSetUp(root, 'cat ~/.gitconfig')).toContain('name = Ada Lovelace');
    expect(await whenSetUp(root, 'readlink ~/.bashrc')).toBe('/etc/envctl/dotfiles/.bashrc');
    const denied = await envctl(root, ['exec', 'thesis', '--', 'sh', '-c', 'echo x >> /etc/envctl/dotfiles/.bashrc']);
    expect(denied.exitCode).not.toBe(0);

    expect((await envctl(root, ['restart', 'thesis'])).exitCode).toBe(0);
    await whenSetUp(root, 'cat ~/.gitconfig');
    expect(await whenSetUp(root, 'cat ~/install-count')).toBe('ran');

    const doctor = await envctl(root, ['doctor']);
    expect(doctor.stdout).toMatch(
      /Dotfiles: \S+: 2 dotfile\(s\) linked into each home, install\.sh run once per container/,
    );
  });

  it('refuses a dotfiles folder that does not exist, naming the line (exit 2)', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "29070-29079"\ndotfiles: ~/no-such-dotfiles\n',
      'which-project': '',
    });
    const render = await envctl(root, ['render']);
    expect(render.exitCode).toBe(2);
    expect(render.stderr).toMatch(/workspace\.yml:3: dotfiles "~\/no-such-dotfiles" is not a folder/);
  });
});
