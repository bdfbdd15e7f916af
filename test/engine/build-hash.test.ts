import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildHash, contextEntries, copySources } from '../../src/engine/build-hash.js';
import { makeWorkspace, removeWorkspace } from '../support/workspace.js';
import type { BuildSpec } from '../../src/engine/engine.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach(removeWorkspace));

function context(files: Record<string, string>): string {
  const root = makeWorkspace(files, { templates: false });
  roots.push(root);
  return root;
}

const spec = (dir: string, extra: Partial<BuildSpec> = {}): BuildSpec => ({
  context: dir,
  dockerfile: undefined,
  args: {},
  dependencyFiles: [],
  ...extra,
});

describe('copySources', () => {
  it('reads COPY and ADD sources, skipping flags, --from stages and the destination', () => {
    const dockerfile =
      'FROM x\nCOPY --chown=1:1 requirements.txt setup.py /app/\nCOPY --from=builder /out /out\nADD ["src dir", "/src"]\ncopy \\\n  a.txt /a\n';
    expect(copySources(dockerfile)).toEqual(['requirements.txt', 'setup.py', 'src dir', 'a.txt']);
  });
});

describe('buildHash', () => {
  it('changes with a copied file, a dependency file, an argument or the Dockerfile, and not with a file only mounted', () => {
    const dir = context({
      Dockerfile: 'FROM busybox\nCOPY requirements.txt /r\nCOPY src/ /src\n',
      'requirements.txt': 'numpy\n',
      'src/a.py': 'a',
      'notebook.ipynb': '{}',
    });
    const base = buildHash(spec(dir));
    writeFileSync(join(dir, 'notebook.ipynb'), '{"cells": []}');
    expect(buildHash(spec(dir))).toBe(base);
    writeFileSync(join(dir, 'requirements.txt'), 'numpy\npandas\n');
    const afterRequirements = buildHash(spec(dir));
    expect(afterRequirements).not.toBe(base);
    mkdirSync(join(dir, 'src', 'pkg'));
    writeFileSync(join(dir, 'src', 'pkg', 'b.py'), 'b');
    const afterSource = buildHash(spec(dir));
    expect(afterSource).not.toBe(afterRequirements);
    expect(buildHash(spec(dir, { args: { PYTHON: '3.12' } }))).not.toBe(afterSource);
    expect(buildHash(spec(dir, { dependencyFiles: ['environment.yml'] }))).not.toBe(afterSource);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox:1\nCOPY requirements.txt /r\nCOPY src/ /src\n');
    expect(buildHash(spec(dir))).not.toBe(afterSource);
  });
});

describe('contextEntries: what of the context a build is sent', () => {
  it('names only the paths the Dockerfile copies and the dependency files', () => {
    expect(contextEntries(['./requirements.txt', 'src/', 'https://example.org/x.tar'], ['environment.yml'])).toEqual([
      'environment.yml',
      'requirements.txt',
      'src',
    ]);
  });

  it('sends the whole context where only the build can tell what a source means', () => {
    for (const source of ['.', './', '*.txt', 'conf/[ab].yml', '$SRC', '${DIR}/x', '../outside'])
      expect(contextEntries([source], []), source).toBeUndefined();
  });
});
