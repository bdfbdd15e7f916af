import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { REPO } from '../../support/workspace.js';

const SCRIPT = join(REPO, 'test', 'support', 'allocate-once.mjs');

describe('two allocator processes started at once (real processes, real lock)', () => {
  it('never hand out the same port', async () => {
    for (let round = 0; round < 3; round++) {
      const composeDir = mkdtempSync(join(tmpdir(), 'envctl-lock-'));
      try {
        const [a, b] = await Promise.all([
          execa('node', [SCRIPT, composeDir, 'alpha', '5']),
          execa('node', [SCRIPT, composeDir, 'beta', '5']),
        ]);
        const ports = [...(JSON.parse(a.stdout) as number[]), ...(JSON.parse(b.stdout) as number[])];
        expect(ports).toHaveLength(10);
        expect(new Set(ports).size).toBe(10);
      } finally {
        rmSync(composeDir, { recursive: true, force: true });
      }
    }
  });
});
