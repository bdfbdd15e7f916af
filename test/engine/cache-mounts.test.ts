import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scopedCacheMounts, withoutCacheMounts } from '../../src/engine/cache-mounts.js';
import { REPO } from '../support/workspace.js';

const DOCKERFILE = [
  'FROM python:3.11-slim',
  'RUN --mount=type=cache,id=pip,target=/var/cache/envctl/pip,mode=0777 \\',
  '    pip install -r /tmp/r.txt \\',
  ' && echo done',
  'RUN --mount=type=bind,source=a,target=/a --mount=type=cache,target=/root/.cache echo two',
  'RUN echo untouched --mount=type=cache,target=/x',
  '',
].join('\n');

describe("a template's cache mounts", () => {
  it("are made the workspace's and template's own for BuildKit, ids written out", () => {
    expect(scopedCacheMounts(DOCKERFILE, 'envctl-lab-python').split('\n')).toEqual([
      'FROM python:3.11-slim',
      'RUN --mount=type=cache,id=envctl-lab-python-pip,target=/var/cache/envctl/pip,mode=0777 \\',
      '    pip install -r /tmp/r.txt \\',
      ' && echo done',
      // One without an id is named after its target; a bind mount is not a cache.
      'RUN --mount=type=bind,source=a,target=/a --mount=type=cache,target=/root/.cache,id=envctl-lab-python-root-.cache echo two',
      'RUN echo untouched --mount=type=cache,target=/x',
      '',
    ]);
  });

  it('are emptied by the first step that uses each, for a build without cache', () => {
    const twice = `${DOCKERFILE}RUN --mount=type=cache,id=pip,target=/var/cache/envctl/pip echo again\n`;
    const lines = scopedCacheMounts(twice, 's', { emptied: true }).split('\n');
    const pip = '/var/cache/envctl/pip';
    expect(lines[1]).toBe(
      `RUN --mount=type=cache,id=s-pip,target=${pip},mode=0777 rm -rf ${pip}/* ${pip}/.[!.]* ${pip}/..?* && \\`,
    );
    expect(lines[4]).toMatch(/id=s-root-.cache rm -rf \/root\/.cache\/\* .* && echo two$/);
    expect(lines[6]).toBe(`RUN --mount=type=cache,id=s-pip,target=${pip} echo again`);
  });

  it('are taken out for the classic builder, their folders removed when the step ends', () => {
    expect(withoutCacheMounts(DOCKERFILE).split('\n')).toEqual([
      'FROM python:3.11-slim',
      'RUN \\',
      '    pip install -r /tmp/r.txt \\',
      ' && echo done && rm -rf /var/cache/envctl/pip',
      'RUN --mount=type=bind,source=a,target=/a echo two && rm -rf /root/.cache',
      'RUN echo untouched --mount=type=cache,target=/x',
      '',
    ]);
  });

  it('leave a Dockerfile without them as it is', () => {
    const plain = 'FROM busybox\nRUN echo hi \\\n && echo there\n';
    expect(scopedCacheMounts(plain, 's')).toBe(plain);
    expect(withoutCacheMounts(plain)).toBe(plain);
  });

  it("are in every built-in template that installs packages, and none of them turns pip's cache off", () => {
    for (const template of ['python', 'jupyter', 'pytorch', 'conda']) {
      const text = readFileSync(join(REPO, 'templates', template, 'Dockerfile'), 'utf8');
      expect(text, template).toContain('--mount=type=cache,id=pip,target=/var/cache/envctl/pip,mode=0777');
      expect(text, template).toContain('ARG PIP_CACHE_DIR=/var/cache/envctl/pip');
      expect(text, template).not.toContain('--no-cache-dir');
      expect(withoutCacheMounts(text), template).not.toContain('--mount');
    }
  });
});
