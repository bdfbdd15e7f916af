import { createServer, type Server } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/model/labels.js';
import { envctl } from '../support/workspace.js';
import { docker, engineAnswers, engineWorkspaces, webProject, workspaceContainers } from './engine-support.js';

/** What a student's first week hit (issue 23), on a real engine: what envctl says must be true. */
const hasEngine = await engineAnswers();
const workspace = engineWorkspaces();

/** A real listener on 127.0.0.1:port, as another program on the machine would hold it. */
async function listenOn(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

interface Row {
  project: string;
  state: string;
  exitCode: number | null;
  restarts: number;
}

async function psRows(root: string): Promise<Row[]> {
  return JSON.parse((await envctl(root, ['ps', '--json'])).stdout) as Row[];
}

describe.runIf(hasEngine)('week one on a real engine', () => {
  it('fails an up whose container exits right after it starts: its exit code and output, exit 3', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "23000-23009"\n',
      'which-project': 'crash\n',
      'projects/crash/envctl.yml': webProject(),
      'projects/crash/compose.yml':
        'services:\n  web:\n    restart: unless-stopped\n' +
        '    command: ["sh", "-c", "echo opening main.py; echo no such file: main.py >&2; exit 2"]\n',
    });
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode).toBe(3);
    expect(up.stderr).toMatch(/crash-web-1 exited with code 2 and is being restarted \(\d+ restarts? so far\)/);
    expect(up.stderr).toMatch(/Its last output:\n {4}(opening main\.py|no such file: main\.py)/);
    // Nothing of it is left crashing, and a second up says the same instead of "started".
    expect(await workspaceContainers(root)).toEqual([]);
    const again = await envctl(root, ['up', '-d']);
    expect([again.exitCode, again.stderr]).toEqual([3, expect.stringMatching(/exited with code 2/)]);
  });

  it('lets a one-shot service end with 0, and ps says the exit code and the restarts of what ended later', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "23010-23019"\n',
      'which-project': 'job\nlate\nloop\n',
      'projects/job/envctl.yml': webProject(),
      'projects/job/compose.yml': 'services:\n  web:\n    command: ["true"]\n',
      'projects/late/envctl.yml': webProject(),
      'projects/late/compose.yml': 'services:\n  web:\n    command: ["sh", "-c", "sleep 2; exit 4"]\n',
      'projects/loop/envctl.yml': webProject(),
      'projects/loop/compose.yml':
        'services:\n  web:\n    restart: always\n    command: ["sh", "-c", "sleep 2; exit 5"]\n',
    });
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    const deadline = Date.now() + 30_000;
    let rows = await psRows(root);
    while (Date.now() < deadline && !(rows[1]?.exitCode === 4 && (rows[2]?.restarts ?? 0) > 0)) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      rows = await psRows(root);
    }
    expect(rows.map((row) => [row.project, row.exitCode])).toEqual([
      ['job', 0],
      ['late', 4],
      ['loop', rows[2]!.state === 'running' ? null : 5],
    ]);
    expect(rows[2]!.restarts).toBeGreaterThan(0);
    const table = (await envctl(root, ['ps'])).stdout;
    expect(table).toMatch(/late +web +exited \(code 4\)/);
    expect(table).toMatch(/loop +web +(running|restarting \(code 5\)), \d+ restarts?/);
  });

  it('says once why a preferred port was not given, and ports says it after', async () => {
    const busy = await listenOn(23021);
    try {
      const root = workspace({
        'workspace.yml': 'ports:\n  range: "23020-23029"\n',
        'which-project': 'lab\n',
        'projects/lab/envctl.yml': webProject('ports: { http: 23021 }\n'),
      });
      const up = await envctl(root, ['up', '-d']);
      expect(up.exitCode, up.stderr).toBe(0);
      expect(up.stderr).toContain('23021 is in use by another process: lab gets 23022');
      const second = await envctl(root, ['up', '-d']);
      expect(second.stderr).not.toContain('23021');
      const ports = await envctl(root, ['ports']);
      expect(ports.stdout).toMatch(/23022 +lab +web +8080\/tcp +yes +23021 is in use by another process/);
    } finally {
      busy.close();
    }
  });

  it('refuses a preferred port outside the range workspace.yml sets, at its line', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "23030-23039"\n',
      'which-project': 'lab\n',
      'projects/lab/envctl.yml': webProject('ports: { http: 8888 }\n'),
    });
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode).toBe(2);
    expect(up.stderr).toContain('projects/lab/envctl.yml:2: host port 8888 is outside ports.range 23030-23039');
    expect(await workspaceContainers(root)).toEqual([]);
  });

  it('gives a renamed service the port its old container held, the one this up replaces', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "23040-23049"\n',
      'which-project': 'duo\n',
      'projects/duo/compose.yml':
        'services:\n  old:\n    image: busybox:latest\n    command: ["sleep", "600"]\n    ports: ["23045:80"]\n',
    });
    expect((await envctl(root, ['up', '-d'])).exitCode).toBe(0);
    writeFileSync(
      join(root, 'projects/duo/compose.yml'),
      'services:\n  new:\n    image: busybox:latest\n    command: ["sleep", "600"]\n    ports: ["23045:80"]\n',
    );
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stderr).not.toMatch(/23045/);
    const [container] = await workspaceContainers(root);
    expect(container!.Labels[LABEL.service]).toBe('new');
    expect(container!.Ports.map((port) => port.PublicPort)).toEqual([23045]);
  });

  it('a failed rebuild says the old container still runs, leaves no build container, and prints no colour codes', async () => {
    const marker = `envctl-leftover-${Date.now()}`;
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "23050-23059"\n',
      'which-project': 'own\n',
      'projects/own/compose.yml': 'services:\n  app:\n    build: .\n    command: ["sleep", "600"]\n',
      'projects/own/Dockerfile': 'FROM busybox:latest\nRUN echo first\n',
    });
    expect((await envctl(root, ['up', '-d'])).exitCode).toBe(0);
    const [before] = await workspaceContainers(root);
    writeFileSync(
      join(root, 'projects/own/Dockerfile'),
      `FROM busybox:latest\nRUN echo ${marker} >&2; ls /no-such-dir-${marker}\n`,
    );
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode).toBe(3);
    expect(up.stderr).toMatch(/^own: \S+-own-app-1 still runs as before\. /m);
    expect(up.stderr).toContain(`${marker}\n`);
    expect(up.stderr + up.stdout).not.toContain('\u001b[');
    const [after] = await workspaceContainers(root);
    expect([after!.Id, after!.State]).toEqual([before!.Id, 'running']);
    const all = await docker.listContainers({ all: true });
    expect(all.filter((container) => container.Command.includes(marker))).toEqual([]);
  });

  it('restart watches what it restarts as up does: one that does not come back fails, with its output', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "23060-23069"\n',
      'which-project': 'once\n',
      'projects/once/envctl.yml': webProject(),
      // Its first run leaves a mark in the container; the run after a restart finds it and gives up.
      'projects/once/compose.yml':
        'services:\n  web:\n    command: ["sh", "-c", "test -f /ran && echo ran before >&2 && exit 7; touch /ran; exec sleep 600"]\n',
    });
    expect((await envctl(root, ['up', '-d'])).exitCode).toBe(0);
    const restart = await envctl(root, ['restart', 'once']);
    expect(restart.exitCode).toBe(3);
    expect(restart.stdout).toMatch(/^restarted \S+-once-web-1$/m);
    expect(restart.stderr).toMatch(
      /once-web-1 exited with code 7 within 1 s of starting\.\n {2}Its last output:\n {4}ran before/,
    );
  });
});
