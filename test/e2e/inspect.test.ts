import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/model/labels.js';
import { envctl } from '../support/workspace.js';
import {
  docker,
  engineAnswers,
  engineWorkspaces,
  onGpuMachine,
  webProject,
  workspaceContainers,
} from './engine-support.js';

const hasEngine = await engineAnswers();
const workspace = engineWorkspaces();

describe.runIf(hasEngine)('envctl ps, logs, restart, down -v and pull errors on a real engine', () => {
  it('shows state, URL, GPUs and subnet in ps --json, the output in logs, and restarts', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "19600-19699"\n',
      'which-project': 'alpha\nbeta\n',
      'projects/alpha/envctl.yml': webProject('ports: { http: 19600 }\ngpus: all\n'),
      'projects/beta/envctl.yml': webProject(),
      'projects/beta/compose.yml':
        'services:\n  web:\n    command: ["sh", "-c", "echo started beta; exec sleep 3600"]\n',
    });
    expect((await envctl(root, ['up', '-d'], onGpuMachine('h100-1gpu'))).exitCode).toBe(0);
    const ps = await envctl(root, ['ps', '--json']);
    expect(ps.exitCode, ps.stderr).toBe(0);
    const rows = JSON.parse(ps.stdout) as Array<{
      project: string;
      service: string;
      state: string;
      urls: string[];
      gpus: string | null;
      networks: Array<{ subnet: string }>;
    }>;
    expect(rows.map((row) => [row.project, row.service, row.state, row.gpus])).toEqual([
      ['alpha', 'web', 'running', 'all'],
      ['beta', 'web', 'running', null],
    ]);
    expect(rows[0]!.urls).toEqual(['http://127.0.0.1:19600/']);
    expect(rows[0]!.networks[0]!.subnet).toMatch(/^10\.213\.\d+\.0\/24$/);

    const logs = await envctl(root, ['logs', 'beta']);
    expect(logs.stdout).toBe('beta/web | started beta');
    const unknown = await envctl(root, ['logs', 'gamma']);
    expect(unknown.exitCode).toBe(2);

    const before = (await workspaceContainers(root)).find((c) => c.Labels[LABEL.project] === 'beta')!;
    const startedAt = (await docker.getContainer(before.Id).inspect()).State.StartedAt;
    const restart = await envctl(root, ['restart', 'beta']);
    expect(restart.exitCode, restart.stderr).toBe(0);
    const after = await docker.getContainer(before.Id).inspect();
    expect(after.State.Running).toBe(true);
    expect(after.State.StartedAt).not.toBe(startedAt);
    expect((await envctl(root, ['logs', 'beta/web'])).stdout).toBe('beta/web | started beta\nbeta/web | started beta');
  });

  it("applies a project's own env_file, and refuses one that does not exist", async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "19900-19999"\n',
      'which-project': 'alpha\n',
      'projects/alpha/envctl.yml': webProject('env: { FROM_CONFIG: "yes" }\n'),
      'projects/alpha/compose.yml': 'services:\n  web:\n    env_file: [vars.env]\n',
      'projects/alpha/vars.env': '# comment\nFROM_FILE=yes\n',
    });
    expect((await envctl(root, ['up', '-d'])).exitCode).toBe(0);
    const env = (await docker.getContainer((await workspaceContainers(root))[0]!.Id).inspect()).Config.Env;
    expect(env).toEqual(expect.arrayContaining(['FROM_FILE=yes', 'FROM_CONFIG=yes']));
    const { rmSync } = await import('node:fs');
    rmSync(`${root}/projects/alpha/vars.env`);
    const missing = await envctl(root, ['up', '-d']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('vars.env, which does not exist');
  });

  it('removes named volumes only with down -v', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "19700-19799"\n',
      'which-project': 'alpha\n',
      'projects/alpha/envctl.yml': webProject(),
      'projects/alpha/compose.yml': 'services:\n  web:\n    volumes: ["data:/data"]\nvolumes:\n  data: {}\n',
    });
    expect((await envctl(root, ['up', '-d'])).exitCode).toBe(0);
    const volumes = async () =>
      (await docker.listVolumes({ filters: { label: [`${LABEL.root}=${root}`] } })).Volumes ?? [];
    expect(await volumes()).toHaveLength(1);
    const down = await envctl(root, ['down', '-v']);
    expect(down.stdout).toContain('removed volume');
    expect(await volumes()).toHaveLength(0);
  });

  it('explains an image that cannot be pulled, and leaves nothing of that project', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "19800-19899"\n',
      'which-project': 'ghost\n',
      'projects/ghost/compose.yml': 'services:\n  app:\n    image: envctl-test/no-such-image:1\n',
    });
    const result = await envctl(root, ['up', '-d']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('Could not pull image envctl-test/no-such-image:1');
    expect(result.stderr).toContain('build or load the image locally (docker build / docker load)');
    expect(await workspaceContainers(root)).toEqual([]);
  });
});
