import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors/envctl-error.js';
import { findWorkspaceRoot } from '../../src/workspace/root.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A workspace at <tmp>/real/ws with a project folder, and a symbolic link <tmp>/link → real/ws. */
function linkedWorkspace() {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'envctl-root-')));
  dirs.push(base);
  const root = join(base, 'real', 'ws');
  mkdirSync(join(root, 'projects', 'p'), { recursive: true });
  writeFileSync(join(root, 'which-project'), 'p\n');
  symlinkSync(root, join(base, 'link'));
  return { base, root, link: join(base, 'link') };
}

describe('findWorkspaceRoot', () => {
  it('finds the nearest folder upward that holds which-project', () => {
    const { root } = linkedWorkspace();
    expect(findWorkspaceRoot(join(root, 'projects', 'p'))).toBe(root);
  });

  it('gives the real path when the workspace is reached through a symbolic link, given or walked to', () => {
    const { base, root, link } = linkedWorkspace();
    expect(findWorkspaceRoot(base, 'link')).toBe(root);
    expect(findWorkspaceRoot(join(link, 'projects', 'p'))).toBe(root);
  });

  it('refuses a --workspace folder without which-project, and a start outside any workspace', () => {
    const { base } = linkedWorkspace();
    expect(() => findWorkspaceRoot(base, 'real')).toThrow(InputError);
    expect(() => findWorkspaceRoot(base)).toThrow(/No envctl workspace here/);
  });
});
