import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { envctl, REPO, snapshot, writeFiles } from '../support/workspace.js';
import { cleanEngine, engineAnswers, workspaceContainers } from './engine-support.js';

/**
 * What a machine does to a workspace (issue 23): a disk that fills up, a folder mounted read-only. Each
 * command that writes, on a small tmpfs of its own (root mounts it, as CI runs), must say what happened and
 * what to do, exit 2, and leave the files that were there as they were.
 */
const isRoot = process.getuid?.() === 0;
const canMount =
  isRoot &&
  (
    await execa('sh', ['-c', 'd=$(mktemp -d) && mount -t tmpfs -o size=1m tmpfs "$d" && umount "$d"'], {
      reject: false,
    })
  ).exitCode === 0;
const hasEngine = await engineAnswers();

const mounted: string[] = [];
afterEach(async () => {
  for (const dir of mounted.splice(0)) {
    await cleanEngine(join(dir, 'ws'));
    await execa('umount', [dir], { reject: false });
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A workspace rendered once on a 2 MiB tmpfs, then its project edited so that the next render writes. */
async function workspaceOnTmpfs(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'envctl-disk-'));
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir]);
  mounted.push(dir);
  const root = join(dir, 'ws');
  writeFiles(root, {
    'workspace.yml': 'ports:\n  range: "23100-23109"\n',
    'which-project': 'lab\n',
    'projects/lab/envctl.yml': 'template: web\n',
  });
  cpSync(join(REPO, 'test', 'fixtures', 'templates', 'web'), join(root, 'templates', 'web'), { recursive: true });
  const render = await envctl(root, ['render']);
  expect(render.exitCode, render.stderr).toBe(0);
  writeFileSync(join(root, 'projects/lab/envctl.yml'), 'template: web\nenv: { EDITED: "yes" }\n');
  return root;
}

/** Fills the tmpfs to its last byte. */
async function fill(root: string): Promise<void> {
  await execa('dd', ['if=/dev/zero', `of=${join(root, '..', 'filler')}`, 'bs=4k'], { reject: false });
}

const WRITERS: Array<{ name: string; args: string[]; made?: string }> = [
  { name: 'init', args: ['init', 'other'], made: 'other' },
  { name: 'new', args: ['new', 'extra', '--template', 'web', '--enable'], made: 'projects/extra' },
  { name: 'render', args: ['render'] },
  { name: 'up', args: ['up', '-d'] },
  { name: 'ports release', args: ['ports', 'release', 'lab'] },
];

async function expectRefused(root: string, says: RegExp): Promise<void> {
  const before = snapshot(root);
  for (const writer of WRITERS) {
    const result = await envctl(root, writer.args);
    expect([writer.name, result.exitCode], result.stderr).toEqual([writer.name, 2]);
    expect(result.stderr).toMatch(says);
    expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
    if (writer.made) expect(existsSync(join(root, writer.made))).toBe(false);
    expect(snapshot(root), writer.name).toEqual(before);
  }
  if (hasEngine) expect(await workspaceContainers(root)).toEqual([]);
}

describe.runIf(canMount)('commands that write, on a full disk and a read-only folder', () => {
  it('on a full disk: "the disk is full", exit 2, nothing half-written and the previous state intact', async () => {
    const root = await workspaceOnTmpfs();
    const state = readFileSync(join(root, 'compose', 'state.json'), 'utf8');
    await fill(root);
    await expectRefused(root, /the disk is full \(ENOSPC\)[\s\S]*Free space on that disk/);
    expect(readFileSync(join(root, 'compose', 'state.json'), 'utf8')).toBe(state);
  });

  it('on a read-only folder: "the file system is read-only", exit 2, nothing changed', async () => {
    const root = await workspaceOnTmpfs();
    await execa('mount', ['-o', 'remount,ro', join(root, '..')]);
    await expectRefused(root, /read-only \(EROFS\)[\s\S]*writable disk/);
  });
});
