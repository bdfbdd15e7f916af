import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { socketOwnerPid } from '../../src/engine/socket-owner.js';

describe('socketOwnerPid (real /proc)', () => {
  it('finds the process listening on a unix socket, wherever the socket is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'envctl-sock-'));
    const path = join(dir, 'docker.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      expect(socketOwnerPid(path)).toBe(process.pid);
      expect(socketOwnerPid(join(dir, 'other.sock'))).toBeUndefined();
    } finally {
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
