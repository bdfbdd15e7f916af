import { chownSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { CLI } from '../support/workspace.js';
import {
  docker,
  engineAnswers,
  engineWorkspaces,
  hasImage,
  httpGet,
  JUPYTER_IMAGE,
  workspaceContainers,
} from './engine-support.js';

/**
 * Host ports 29060-29069 are this file's. The tests run as root; envctl runs here as another user, uid 4242,
 * whose group is the docker group (so it may use the engine's socket, as a user in that group does).
 */
const hasEngine = await engineAnswers();
const workspace = engineWorkspaces();
const hasJupyterImage = hasEngine && (await hasImage(JUPYTER_IMAGE));
const UID = 4242;
const socketGid = hasEngine && process.getuid?.() === 0 ? statSync('/var/run/docker.sock').gid : undefined;

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (!statSync(path).isDirectory()) return;
  for (const name of readdirSync(path)) chownTree(join(path, name), uid, gid);
}

const asUser = (root: string, args: string[]) =>
  execa('node', [CLI, ...args], { cwd: root, reject: false, uid: UID, gid: socketGid, env: { NO_COLOR: '1' } });

describe.runIf(socketGid !== undefined)('environments run as the user who runs envctl', () => {
  it("leaves the files a container and envctl shell write in the project as the user's, with a home of its own", async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "29060-29069"\n',
      'which-project': 'thesis\n',
      'projects/thesis/envctl.yml':
        'template: python\nports: { app: 29062 }\nparams:\n  base_image: envctl-test/run-as-user-base:1\n' +
        '  command: "echo trained > /work/model.txt && exec sleep 600"\n',
    });
    chownTree(root, UID, socketGid!);
    // A base of this test's own: its builds are not ones another test made (those would be tagged, not built).
    await docker.getImage('python:3.11-slim').tag({ repo: 'envctl-test/run-as-user-base', tag: '1' });

    const up = await asUser(root, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    const asUserImage = (await workspaceContainers(root))[0]?.ImageID;
    const written = join(root, 'projects', 'thesis', 'model.txt');
    for (let i = 0; i < 100 && !statSafe(written); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(statSafe(written)).toMatchObject({ uid: UID, gid: socketGid });

    const shell = await asUser(root, ['shell', 'thesis', '--', 'sh', '-c', 'id -u; touch /work/notes.md; touch ~/.x']);
    expect([shell.stdout, shell.exitCode], shell.stderr).toEqual([String(UID), 0]);
    expect(statSafe(join(root, 'projects', 'thesis', 'notes.md'))).toMatchObject({ uid: UID, gid: socketGid });

    // run_as: root is the way back, and builds an image of its own (the uid is a build input).
    writeFileSync(
      join(root, 'projects', 'thesis', 'envctl.yml'),
      'template: python\nports: { app: 29062 }\nparams:\n  base_image: envctl-test/run-as-user-base:1\n  run_as: root\n  command: "exec sleep 600"\n',
    );
    const again = await asUser(root, ['up', '-d']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect((await workspaceContainers(root))[0]?.ImageID).not.toBe(asUserImage);
    expect((await asUser(root, ['exec', 'thesis', '--', 'id', '-u'])).stdout).toBe('0');
    expect((await asUser(root, ['down'])).exitCode).toBe(0);
  });
});

describe.runIf(socketGid !== undefined && hasJupyterImage)(
  'the jupyter template, run by a user other than root',
  () => {
    it('saves a notebook written through Jupyter as that user, in the project folder', async () => {
      const root = workspace({
        'workspace.yml': 'ports:\n  range: "29060-29069"\n',
        'which-project': 'course\n',
        'projects/course/envctl.yml':
          'template: jupyter\nparams:\n  base_image: envctl-test/jupyter:bookworm\n  app: notebook\nports:\n  jupyter: 29061\n',
      });
      chownTree(root, UID, socketGid!);
      const up = await asUser(root, ['up', '-d']);
      expect(up.exitCode, up.stderr).toBe(0);
      const token = new URL(/http:\/\/127\.0\.0\.1:29061\/tree\?token=\S+/.exec(up.stdout)![0]).searchParams.get(
        'token',
      );
      await httpGet(`http://127.0.0.1:29061/api/status?token=${token}`, 60_000);
      const saved = await fetch(`http://127.0.0.1:29061/api/contents/lecture1.ipynb?token=${token}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'notebook',
          format: 'json',
          content: { cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 },
        }),
      });
      expect(saved.status).toBe(201);
      expect(statSafe(join(root, 'projects', 'course', 'lecture1.ipynb'))).toMatchObject({ uid: UID, gid: socketGid });
      expect((await asUser(root, ['down'])).exitCode).toBe(0);
    });
  },
);

function statSafe(path: string): { uid: number; gid: number } | undefined {
  try {
    const { uid, gid } = statSync(path);
    return { uid, gid };
  } catch {
    return undefined;
  }
}
