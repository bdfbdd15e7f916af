import { createSocket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { CLI, envctl, makeWorkspace, removeWorkspace, snapshot, writeFiles } from '../support/workspace.js';
import { SecondEngine } from './second-engine.js';
import {
  docker,
  engineAnswers,
  engineWorkspaces,
  followOutput,
  httpGet,
  webProject,
  workspaceContainers,
  workspaceNetworks,
} from './engine-support.js';

const hasEngine = await engineAnswers();
const workspace = engineWorkspaces();

/** The host port render gave a project, from render --json. */
async function hostPort(root: string, project: string): Promise<number> {
  const render = await envctl(root, ['render', '--json']);
  expect(render.exitCode, render.stderr).toBe(0);
  const summary = JSON.parse(render.stdout) as {
    projects: Array<{ project: string; ports: Array<{ hostPort: number }> }>;
  };
  return summary.projects.find((entry) => entry.project === project)!.ports[0]!.hostPort;
}

describe.runIf(hasEngine)('faithful at the edges, on the real engine', () => {
  it('never hands out a host port that a stopped container holds, so that container can start again', async () => {
    const pinned = 19531;
    const mine = await docker.createContainer({
      Image: 'busybox:latest',
      Cmd: ['httpd', '-f', '-p', '80'],
      HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(pinned) }] } },
    });
    try {
      const root = workspace({
        'workspace.yml': 'ports:\n  range: "19530-19539"\n',
        'which-project': 'site\n',
        'projects/site/envctl.yml': webProject(`ports: { http: ${pinned} }\n`),
      });
      const up = await envctl(root, ['up', '-d']);
      expect(up.exitCode, up.stderr).toBe(0);
      const port = await hostPort(root, 'site');
      expect(port).not.toBe(pinned);
      expect((await httpGet(`http://127.0.0.1:${port}/`)).body).toContain('site');
      await mine.start();
      expect((await mine.inspect()).State.Running).toBe(true);
    } finally {
      await mine.remove({ force: true });
    }
  });

  it('removes every container and network of the workspace when which-project is emptied', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "19540-19549"\n',
      'which-project': 'a\nb\n',
      'projects/a/envctl.yml': webProject(),
      'projects/b/compose.yml':
        'services:\n  x: { image: busybox:latest, command: [sleep, "600"] }\n  y: { image: busybox:latest, command: [sleep, "600"] }\n',
    });
    expect((await envctl(root, ['up', '-d'])).exitCode).toBe(0);
    expect((await workspaceNetworks(root)).length).toBe(2);
    writeFiles(root, { 'which-project': '# nothing runs\n' });
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(await workspaceContainers(root)).toEqual([]);
    expect(await workspaceNetworks(root)).toEqual([]);
  });

  it('refuses down, restart and logs of a project that does not exist (exit 2, the nearest name)', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "19550-19559"\n',
      'which-project': 'thesis\n',
      'projects/thesis/envctl.yml': webProject(),
    });
    expect((await envctl(root, ['up', '-d'])).exitCode).toBe(0);
    for (const command of [
      ['down', 'theis'],
      ['restart', 'theis'],
      ['logs', 'theis/web'],
    ]) {
      const result = await envctl(root, command);
      expect(result.exitCode, command.join(' ')).toBe(2);
      expect(result.stderr).toContain('There is no project "theis"');
      expect(result.stderr).toContain('Did you mean "thesis"?');
    }
    expect((await workspaceContainers(root)).map((c) => c.State)).toEqual(['running']);
    const down = await envctl(root, ['down', 'thesis']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await workspaceContainers(root)).toEqual([]);
  });
});

describe.runIf(hasEngine)('up checks everything before it writes anything', () => {
  it('leaves compose/ as it was when a check fails after allocation (a missing env file): exit 2', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "29010-29019"\n',
      'which-project': 'site\n',
      'projects/site/envctl.yml': webProject(),
    });
    expect((await envctl(root, ['up', '-d'])).exitCode).toBe(0);
    const before = snapshot(join(root, 'compose'));
    writeFiles(root, {
      'which-project': 'site\nextra\n',
      'projects/extra/compose.yml': 'services:\n  api:\n    image: busybox\n    ports: ["80"]\n    env_file: api.env\n',
    });
    const up = await envctl(root, ['up', '-d']);
    expect(up.exitCode, up.stderr).toBe(2);
    expect(up.stderr).toContain('api.env, which does not exist');
    expect(snapshot(join(root, 'compose'))).toEqual(before);
    expect((await workspaceContainers(root)).map((c) => c.Labels['dev.envctl.project'])).toEqual(['site']);
  });
});

describe('faithful at the edges, on real files and sockets', () => {
  it('probes a UDP port with a UDP bind: one bound for UDP is not handed out, one listened on for TCP is', async () => {
    const files = {
      'workspace.yml': 'ports:\n  range: "19560-19569"\n',
      'which-project': 'dns\n',
      'projects/dns/compose.yml': 'services:\n  dns:\n    image: busybox\n    ports: ["19561:53/udp"]\n',
    };
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(19561, '127.0.0.1', resolve));
    const root = makeWorkspace(files);
    try {
      expect(await hostPort(root, 'dns')).not.toBe(19561);
    } finally {
      udp.close();
      removeWorkspace(root);
    }
    const tcp = createServer();
    await new Promise<void>((resolve) => tcp.listen(19561, '127.0.0.1', resolve));
    const again = makeWorkspace(files);
    try {
      expect(await hostPort(again, 'dns')).toBe(19561);
    } finally {
      tcp.close();
      removeWorkspace(again);
    }
  });

  it('releases the port of a renamed service, so the new name gets its preferred port', async () => {
    const root = makeWorkspace({
      'workspace.yml': 'ports:\n  range: "19570-19579"\n',
      'which-project': 'api\n',
      'projects/api/compose.yml': 'services:\n  old:\n    image: busybox\n    ports: ["19571:80"]\n',
    });
    try {
      expect(await hostPort(root, 'api')).toBe(19571);
      writeFiles(root, {
        'projects/api/compose.yml': 'services:\n  new:\n    image: busybox\n    ports: ["19571:80"]\n',
      });
      expect(await hostPort(root, 'api')).toBe(19571);
      const state = JSON.parse(readFileSync(join(root, 'compose', 'state.json'), 'utf8')) as {
        ports: Record<string, unknown>;
      };
      expect(Object.keys(state.ports)).toEqual(['api/new/80/tcp']);
    } finally {
      removeWorkspace(root);
    }
  });

  it('refuses a state file written by a newer envctl and never overwrites it', async () => {
    const root = makeWorkspace({
      'which-project': 'api\n',
      'projects/api/compose.yml': 'services:\n  web:\n    image: busybox\n    ports: ["80"]\n',
    });
    try {
      expect((await envctl(root, ['render'])).exitCode).toBe(0);
      const file = join(root, 'compose', 'state.json');
      const newer = JSON.stringify({ version: 99, ports: {}, networks: {}, secrets: {}, future: { kept: true } });
      writeFileSync(file, newer);
      for (const command of [['render'], ['up', '-d', '--dry-run']]) {
        const result = await envctl(root, command);
        expect(result.exitCode, command.join(' ')).toBe(2);
        expect(result.stderr).toContain('written by a newer envctl (state version 99');
        expect(readFileSync(file, 'utf8')).toBe(newer);
      }
    } finally {
      removeWorkspace(root);
    }
  });
});

describe.runIf(hasEngine)('two envctl up started at the same moment on one workspace', () => {
  it('applies once: one waits for the other, no container is created twice, no port given twice', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "19580-19599"\n',
      'which-project': names.join('\n'),
      ...Object.fromEntries(names.map((name) => [`projects/${name}/envctl.yml`, webProject()])),
    });
    const [first, second] = await Promise.all([envctl(root, ['up', '-d']), envctl(root, ['up', '-d'])]);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(second.exitCode, second.stderr).toBe(0);
    const both = `${first.stdout}${second.stdout}`;
    // Each container was created by exactly one of them; the other found nothing to do.
    for (const name of names)
      expect(both.match(new RegExp(`${name}: created \\S+-${name}-web-1`, 'g'))).toHaveLength(1);
    expect(`${first.stderr}${second.stderr}`).toContain('waiting for it to finish');
    const containers = await workspaceContainers(root);
    expect(containers.map((c) => c.Labels['dev.envctl.project']).sort()).toEqual(names);
    expect(containers.every((c) => c.State === 'running')).toBe(true);
    const ports = containers.map((c) => c.Ports.find((p) => p.PublicPort)!.PublicPort);
    expect(new Set(ports).size).toBe(names.length);
  });
});

describe.runIf(hasEngine)('dockerd restarted while envctl up -d --watch runs', () => {
  it('says the engine is gone, waits, and reconciles when it is back: the project runs again, nothing lost', async () => {
    const engine = new SecondEngine();
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "29000-29009"\n',
      'which-project': 'site\n',
      'projects/site/envctl.yml': webProject(),
      'projects/site/notes.md': 'mine\n',
    });
    let child: ReturnType<typeof execa> | undefined;
    try {
      await engine.start();
      await engine.loadFrom('busybox:latest');
      const env = { NO_COLOR: '1', DOCKER_HOST: engine.host };
      child = execa('node', [CLI, 'up', '-d', '--watch'], { cwd: root, reject: false, env, all: true });
      const { waitFor } = followOutput(child);
      let mark = await waitFor(/Watching which-project/, 0);
      const port = async () => (await engine.docker.listContainers())[0]!.Ports.find((p) => p.PublicPort)!.PublicPort;
      const before = await port();
      expect(await engine.fetch(`http://127.0.0.1:${before}/`)).toContain('site');

      await engine.stop();
      mark = await waitFor(/stopped answering; envctl waits for it/, mark);
      await engine.start();
      mark = await waitFor(/answers again; reconciling/, mark);
      await waitFor(/site: started \S+/, mark);
      expect(await port()).toBe(before);
      expect(await engine.fetch(`http://127.0.0.1:${before}/`)).toContain('site');
      expect(readFileSync(join(root, 'projects', 'site', 'notes.md'), 'utf8')).toBe('mine\n');
    } finally {
      child?.kill('SIGINT');
      await child;
      await envctl(root, ['down'], { DOCKER_HOST: engine.host });
      await engine.remove();
    }
  }, 120_000);
});
