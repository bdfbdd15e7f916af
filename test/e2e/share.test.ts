import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { envctl, REPO } from '../support/workspace.js';
import { docker, engineAnswers, engineWorkspaces, httpGet, workspaceContainers } from './engine-support.js';

/** Host ports 29080-29089 are this file's. */
const hasEngine = await engineAnswers();
const workspace = engineWorkspaces();
const out = mkdtempSync(join(tmpdir(), 'envctl-share-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function labWorkspace(name: string, withTemplate: boolean): string {
  const root = workspace({
    'workspace.yml': `name: ${name}\nports:\n  range: "29080-29089"\n`,
    'which-project': withTemplate ? 'course\n' : '',
    ...(withTemplate
      ? {
          'projects/course/envctl.yml': 'template: webbuild\nports: { http: 29081 }\n',
          'projects/course/requirements.txt': 'numpy==2.1\n',
          'projects/course/data/x.csv': 'a,b\n1,2\n',
        }
      : {}),
  });
  if (withTemplate)
    cpSync(join(REPO, 'test', 'fixtures', 'templates', 'webbuild'), join(root, 'templates', 'webbuild'), {
      recursive: true,
    });
  return root;
}

describe.runIf(hasEngine)('envctl export and import: an environment to a lab mate as one file', () => {
  it('restores the project, its own template and its image in another workspace, where up builds nothing', async () => {
    const first = labWorkspace('labone', true);
    expect((await envctl(first, ['up', '-d'])).exitCode).toBe(0);
    const file = join(out, 'course.envctl.tar');
    const exported = await envctl(first, ['export', 'course', '-o', file]);
    expect(exported.exitCode, exported.stderr).toBe(0);
    const full = join(out, 'course-data.envctl.tar');
    expect((await envctl(first, ['export', 'course', '-o', full, '--with-data'])).exitCode).toBe(0);
    const listing = (await execa('tar', ['-tf', file])).stdout.split('\n');
    expect(listing[0]).toBe('envctl-export.json');
    expect(listing).toEqual(
      expect.arrayContaining(['project/envctl.yml', 'project/requirements.txt', 'template/Dockerfile', 'images.tar']),
    );
    expect(listing).not.toContain('project/data/x.csv');
    const manifest = JSON.parse((await execa('tar', ['-xOf', file, 'envctl-export.json'])).stdout);
    const [image] = manifest.images;
    expect(manifest).toMatchObject({ format: 'envctl-export', version: 1, project: 'course', withData: false });

    // The image leaves this engine: only the file can bring it back.
    expect((await envctl(first, ['down'])).exitCode).toBe(0);
    await docker.getImage(image.id).remove({ force: true });

    const second = labWorkspace('labtwo', false);
    const imported = await envctl(second, ['import', file, '--enable']);
    expect(imported.exitCode, imported.stderr).toBe(0);
    expect(readFileSync(join(second, 'which-project'), 'utf8')).toContain('course');
    expect(existsSync(join(second, 'templates', 'webbuild', 'Dockerfile'))).toBe(true);
    expect(existsSync(join(second, 'projects', 'course', 'data'))).toBe(false);
    const up = await envctl(second, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stdout).toContain('tagged envctl-test/labtwo-course:latest (the same build is on the engine)');
    expect(up.stdout).not.toMatch(/\bbuilt\b/);
    const [container] = await workspaceContainers(second);
    expect(container!.ImageID).toBe(image.id);
    expect((await httpGet('http://127.0.0.1:29081/')).body).toBe('numpy==2.1\n');

    const again = await envctl(second, ['import', file]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/A project "course" already exists.*--as/s);
    expect((await envctl(second, ['import', full, '--as', 'course2'])).exitCode).toBe(0);
    expect(readFileSync(join(second, 'projects', 'course2', 'data', 'x.csv'), 'utf8')).toBe('a,b\n1,2\n');
  });

  it('refuses a damaged or a foreign file and restores nothing (exit 2)', async () => {
    const first = labWorkspace('labthree', true);
    expect((await envctl(first, ['up', '-d'])).exitCode).toBe(0);
    const file = join(out, 'cut.envctl.tar');
    expect((await envctl(first, ['export', 'course', '-o', file])).exitCode).toBe(0);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const second = labWorkspace('labfour', false);
    const cut = await envctl(second, ['import', file]);
    expect(cut.exitCode).toBe(2);
    expect(cut.stderr).toMatch(/is not an envctl export that can be imported/);
    const foreign = join(out, 'foreign.tar');
    await execa('tar', ['-cf', foreign, '-C', REPO, 'package.json']);
    const other = await envctl(second, ['import', foreign]);
    expect(other.exitCode).toBe(2);
    expect(other.stderr).toMatch(/it does not begin with envctl-export\.json/);
    expect(readdirSync(join(second, 'projects'))).toEqual([]);
    expect(readdirSync(join(second, 'compose')).filter((name) => name.startsWith('.import-'))).toEqual([]);
  });
});
