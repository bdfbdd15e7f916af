import { describe, expect, it } from 'vitest';
import type { ObservedContainer } from '../../src/engine/observed.js';
import { LABEL } from '../../src/model/labels.js';
import { pickRunning } from '../../src/pipeline/exec.js';

const container = (project: string, service: string, state = 'running'): ObservedContainer => ({
  id: `${project}-${service}`,
  name: `ws-${project}-${service}-1`,
  state,
  status: state,
  image: 'busybox',
  imageId: 'sha256:i',
  labels: { [LABEL.project]: project, [LABEL.service]: service },
  networks: [],
  ports: [],
});
const running = [
  container('lab', 'web'),
  container('duo', 'web'),
  container('duo', 'db'),
  container('off', 'web', 'exited'),
];
const folders = ['lab', 'duo', 'off', 'idle'];

describe('which container envctl shell and exec run in', () => {
  it("takes a project's only service, or the one named", () => {
    expect(pickRunning(running, 'lab', folders).id).toBe('lab-web');
    expect(pickRunning(running, 'duo/db', folders).id).toBe('duo-db');
  });

  it('says what to type instead: the nearest project, the services, or how to start it', () => {
    expect(() => pickRunning(running, 'lba', folders)).toThrow(/no project "lba"/);
    expect(() => pickRunning(running, 'duo', folders)).toThrow(/2 services: say which/);
    expect(() => pickRunning(running, 'duo/dbb', folders)).toThrow(/no service "dbb"/);
    expect(() => pickRunning(running, 'off', folders)).toThrow(/"off" is not running \(its container is exited\)/);
    expect(() => pickRunning(running, 'idle', folders)).toThrow(/"idle" is not running/);
    try {
      pickRunning(running, 'lba', folders);
    } catch (error) {
      expect(error).toMatchObject({ exitCode: 2, hint: expect.stringContaining('Did you mean "lab"?') });
    }
  });
});
