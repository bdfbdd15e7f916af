import { execa } from 'execa';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/model/labels.js';
import { CLI, envctl } from '../support/workspace.js';
import {
  docker,
  engineAnswers,
  engineWorkspaces,
  httpGet,
  webProject,
  workspaceContainers,
  workspaceNetworks,
  hasImage,
  JUPYTER_IMAGE,
} from './engine-support.js';

const hasEngine = await engineAnswers();
const hasJupyterImage = hasEngine && (await hasImage(JUPYTER_IMAGE));
const workspace = engineWorkspaces();

/** `count` projects on the web template, on a port range of their own. */
function webProjects(count: number, range: string): { root: string; names: string[] } {
  const names = Array.from({ length: count }, (_, i) => `p${i}`);
  const root = workspace({
    'workspace.yml': `ports:\n  range: "${range}"\n`,
    'which-project': names.join('\n'),
    ...Object.fromEntries(names.map((name) => [`projects/${name}/envctl.yml`, webProject()])),
  });
  return { root, names };
}

describe.runIf(hasEngine)('envctl up: interruption and the foreground', () => {
  it('leaves nothing of the workspace after SIGKILL during up followed by down', async () => {
    const { root } = webProjects(8, '19100-19199');
    const child = execa('node', [CLI, 'up', '-d'], { cwd: root, reject: false });
    // Kill once the engine has started making things, so the run is cut in the middle.
    for (let i = 0; i < 200 && (await workspaceNetworks(root)).length === 0; i++)
      await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGKILL');
    const killed = await child;
    expect(killed.signal).toBe('SIGKILL');
    const down = await envctl(root, ['down']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await workspaceContainers(root)).toEqual([]);
    expect(await workspaceNetworks(root)).toEqual([]);
  });

  it('finishes an interrupted up on the next up', async () => {
    const { root, names } = webProjects(6, '19200-19299');
    const child = execa('node', [CLI, 'up', '-d'], { cwd: root, reject: false });
    for (let i = 0; i < 200 && (await workspaceContainers(root)).length === 0; i++)
      await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGKILL');
    await child;
    const again = await envctl(root, ['up', '-d']);
    expect(again.exitCode, again.stderr).toBe(0);
    const containers = await workspaceContainers(root);
    expect(containers.map((c) => `${c.Labels[LABEL.project]} ${c.State}`).sort()).toEqual(
      names.map((name) => `${name} running`),
    );
  });

  it('streams prefixed logs in the foreground and stops the projects on Ctrl+C', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "19300-19399"\n',
      'which-project': 'talker\n',
      'projects/talker/envctl.yml': webProject(),
      'projects/talker/compose.yml':
        'services:\n  web:\n    command: ["sh", "-c", "while true; do echo tick; sleep 0.2; done"]\n',
    });
    const child = execa('node', [CLI, 'up'], { cwd: root, reject: false, env: { NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let i = 0; i < 200 && !output.includes('talker/web | tick'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(output).toContain('talker/web | tick');
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(result.stdout).toContain('Stopped 1 container');
    const containers = await workspaceContainers(root);
    expect(containers.map((c) => c.State)).toEqual(['exited']);
  });
});

describe.runIf(hasJupyterImage)('the jupyter template on the locally built Debian Jupyter image', () => {
  it('answers /api/status with its token through the allocated port, and refuses it without', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "19400-19499"\n',
      'which-project': 'course\n',
      'projects/course/envctl.yml':
        'template: jupyter\nparams:\n  base_image: envctl-test/jupyter:bookworm\n  app: notebook\nports:\n  jupyter: 19400\n',
    });
    const result = await envctl(root, ['up', '-d']);
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain('course: built envctl/');
    const url = new URL(/http:\/\/127\.0\.0\.1:19400\/tree\?token=\S+/.exec(result.stdout)![0]);
    const token = url.searchParams.get('token')!;
    const withToken = await httpGet(`http://127.0.0.1:19400/api/status?token=${token}`, 60_000);
    expect(withToken.status).toBe(200);
    expect(JSON.parse(withToken.body)).toHaveProperty('started');
    const without = await httpGet('http://127.0.0.1:19400/api/status');
    expect(without.status).toBe(403);
    const notebook = await docker.getContainer((await workspaceContainers(root))[0]!.Id).inspect();
    expect(notebook.Mounts.map((m) => `${m.Source}:${m.Destination}`)).toContain(
      `${join(root, 'projects', 'course')}:/work`,
    );
  });
});
