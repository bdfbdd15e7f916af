import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { envctl, REPO } from '../support/workspace.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function empty(): string {
  const dir = mkdtempSync(join(tmpdir(), 'envctl-init-'));
  dirs.push(dir);
  return dir;
}

describe('envctl init, new and templates', () => {
  it('init makes a workspace in an empty folder, and refuses to overwrite one', async () => {
    const dir = empty();
    const init = await envctl(dir, ['init', 'lab']);
    expect(init.exitCode, init.stderr).toBe(0);
    for (const path of ['which-project', '.gitignore', 'projects', 'templates'])
      expect(existsSync(join(dir, 'lab', path))).toBe(true);
    expect(readFileSync(join(dir, 'lab', '.gitignore'), 'utf8')).toContain('compose/');
    expect(readFileSync(join(dir, 'lab', 'which-project'), 'utf8')).toMatch(/^# /);
    const again = await envctl(dir, ['init', 'lab']);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('already holds which-project and .gitignore');
  });

  it('new makes a project with each built-in template that renders, and refuses a bad name and an existing project', async () => {
    const dir = empty();
    await envctl(dir, ['init']);
    for (const template of readdirSync(join(REPO, 'templates'))) {
      const made = await envctl(dir, ['new', `p-${template}`, '--template', template, '--enable']);
      expect(made.exitCode, made.stderr).toBe(0);
      expect(parse(readFileSync(join(dir, 'projects', `p-${template}`, 'envctl.yml'), 'utf8'))).toEqual({ template });
    }
    expect(readFileSync(join(dir, 'projects', 'p-conda', 'environment.yml'), 'utf8')).toContain('name: p-conda');
    expect(existsSync(join(dir, 'projects', 'p-jupyter', 'requirements.txt'))).toBe(true);
    expect(readFileSync(join(dir, 'which-project'), 'utf8')).toMatch(/p-conda\np-jupyter\np-python\np-pytorch\n$/);
    const rendered = await envctl(dir, ['render', '--check']);
    expect(rendered.exitCode, rendered.stderr).toBe(0);

    const bad = await envctl(dir, ['new', 'Bad Name']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('not a valid project name');
    const existing = await envctl(dir, ['new', 'p-jupyter']);
    expect(existing.exitCode).toBe(2);
    expect(existing.stderr).toContain('already exists');
    const param = await envctl(dir, ['new', 'q', '--param', 'pyton=3.12']);
    expect(param.exitCode).toBe(2);
    expect(param.stderr).toContain('Did you mean "python"?');
    expect(existsSync(join(dir, 'projects', 'q'))).toBe(false);
    const withParams = await envctl(dir, [
      'new',
      'r',
      '--template',
      'jupyter',
      '--param',
      'python=3.12',
      '--gpus',
      '0,1',
    ]);
    expect(withParams.exitCode, withParams.stderr).toBe(0);
    expect(parse(readFileSync(join(dir, 'projects', 'r', 'envctl.yml'), 'utf8'))).toEqual({
      template: 'jupyter',
      params: { python: '3.12' },
      gpus: [0, 1],
    });
  });

  it('templates lists the built-in ones and a workspace template that overrides one', async () => {
    const dir = empty();
    await envctl(dir, ['init']);
    const builtin = JSON.parse((await envctl(dir, ['templates', '--json'])).stdout) as Array<{
      name: string;
      source: string;
    }>;
    expect(builtin.map((t) => `${t.name}:${t.source}`)).toEqual([
      'conda:built-in',
      'jupyter:built-in',
      'python:built-in',
      'pytorch:built-in',
    ]);
    writeFileSync(join(dir, 'templates', 'placeholder'), '');
    const { cpSync } = await import('node:fs');
    cpSync(join(REPO, 'templates', 'python'), join(dir, 'templates', 'python'), { recursive: true });
    const mixed = JSON.parse((await envctl(dir, ['templates', '--json'])).stdout) as Array<{
      name: string;
      source: string;
    }>;
    expect(mixed.find((t) => t.name === 'python')!.source).toBe('workspace');
    const show = await envctl(dir, ['templates', 'show', 'pytorch']);
    expect(show.stdout).toContain('GPUs by default: 1');
    expect(show.stdout).toContain('tensorboard: service lab, container 6006');
    const completion = await envctl(dir, ['completion', 'bash']);
    expect(completion.stdout).toContain('complete -F _envctl envctl');
    expect((await envctl(dir, ['__complete', 'templates'])).stdout.split('\n')).toEqual([
      'conda',
      'jupyter',
      'python',
      'pytorch',
    ]);
  });
});
