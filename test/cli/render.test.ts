import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { composeSchemaProblems } from '../../src/compose/schema.js';
import { parseCidr, overlaps } from '../../src/util/cidr.js';
import { dockerComposeAvailable, dockerComposeConfig } from '../support/docker-compose.js';
import { CLI, envctl, makeWorkspace, removeWorkspace, REPO, snapshot } from '../support/workspace.js';

const roots: string[] = [];
const servers: Server[] = [];
afterEach(async () => {
  roots.splice(0).forEach(removeWorkspace);
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function workspace(files: Record<string, string>): string {
  const root = makeWorkspace(files);
  roots.push(root);
  return root;
}

const readYaml = (file: string) => parse(readFileSync(file, 'utf8')) as Record<string, any>;
const hasCompose = await dockerComposeAvailable();

/** Three projects that all prefer host port 8888 (jupyter's default); nothing listens in the range above. */
const THREE = {
  'workspace.yml': 'ports:\n  range: "8888-8999"\n',
  'which-project': 'a\nb\nc\n',
  'projects/a/envctl.yml': 'template: jupyter\n',
  'projects/b/envctl.yml': 'template: jupyter\n',
  'projects/c/envctl.yml': 'template: jupyter\nports:\n  jupyter: 8888\n',
};

async function renderJson(root: string) {
  const result = await envctl(root, ['render', '--json']);
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as {
    projects: Array<{ project: string; ports: Array<{ hostPort: number; url: string }>; network: { subnet: string } }>;
  };
}

describe('envctl render', () => {
  it('renders the example workspace into a file the schema and docker-compose accept', async () => {
    const root = workspace({
      'which-project': readFileSync(join(REPO, 'which-project'), 'utf8'),
      ...Object.fromEntries(
        ['intro-ml/envctl.yml', 'intro-ml/requirements.txt', 'thesis/envctl.yml', 'thesis/requirements.txt'].map(
          (file) => [`projects/${file}`, readFileSync(join(REPO, 'projects', file), 'utf8')],
        ),
      ),
    });
    const result = await envctl(root, ['render']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /intro-ml\s+intro-ml-notebook\s+127\.0\.0\.1:\d+->8888\/tcp\s+http:\/\/127\.0\.0\.1:\d+\/lab\?token=\S{20,}/,
    );
    const merged = readYaml(join(root, 'compose', 'docker-compose.yml'));
    expect(composeSchemaProblems(merged)).toEqual([]);
    expect(Object.keys(merged.services)).toEqual(['intro-ml-notebook', 'thesis-lab']);
    expect(merged.services['thesis-lab'].deploy.resources.reservations.devices).toEqual([
      { driver: 'nvidia', count: 1, capabilities: ['gpu'] },
    ]);
    for (const file of ['intro-ml.yml', 'thesis.yml'])
      expect(composeSchemaProblems(readYaml(join(root, 'compose', file)))).toEqual([]);
    if (hasCompose) {
      for (const file of ['docker-compose.yml', 'intro-ml.yml', 'thesis.yml']) {
        const check = await dockerComposeConfig(join(root, 'compose'), file);
        expect(check.exitCode, check.stderr).toBe(0);
      }
    }
  });

  it.runIf(process.env.CI === 'true')('runs the docker-compose checks in CI, never skipping them there', () => {
    expect(hasCompose).toBe(true);
  });

  it('gives three projects preferring 8888 three distinct host ports, and the same three on the next render', async () => {
    const root = workspace(THREE);
    const first = await renderJson(root);
    const ports = first.projects.map((p) => p.ports[0]!.hostPort);
    expect(new Set(ports).size).toBe(3);
    expect(ports).toContain(8888);
    const second = await renderJson(root);
    expect(second.projects.map((p) => p.ports[0]!.hostPort)).toEqual(ports);
  });

  it('skips a host port a process listens on, on 127.0.0.1, 0.0.0.0 or ::', async () => {
    for (const host of ['127.0.0.1', '0.0.0.0', '::']) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve) => server.listen({ port: 8888, host, ipv6Only: host === '::' }, resolve));
      const root = workspace(THREE);
      const rendered = await renderJson(root);
      expect(
        rendered.projects.map((p) => p.ports[0]!.hostPort),
        host,
      ).not.toContain(8888);
      await new Promise((resolve) => servers.pop()!.close(resolve));
    }
  });

  it('keeps the token out of the compose file, in an env file only its owner reads, the same on every render', async () => {
    const root = workspace(THREE);
    const first = await renderJson(root);
    const token = new URL(first.projects[0]!.ports[0]!.url).searchParams.get('token')!;
    expect(token.length).toBeGreaterThanOrEqual(24);
    expect(readFileSync(join(root, 'compose', 'docker-compose.yml'), 'utf8')).not.toContain(token);
    expect(readFileSync(join(root, 'compose', 'secrets', 'a.env'), 'utf8')).toBe(`JUPYTER_TOKEN=${token}\n`);
    const again = await renderJson(root);
    expect(new URL(again.projects[0]!.ports[0]!.url).searchParams.get('token')).toBe(token);
  });

  it('finishes its work and exits 0 without a trace when the reader of its output is gone (`| true`)', async () => {
    const root = workspace(THREE);
    // `true` exits long before Node has started, so every write of envctl meets a closed pipe.
    const result = await execa('bash', ['-c', 'set -o pipefail; node "$0" render | true', CLI], {
      cwd: root,
      reject: false,
    });
    // Only what render says on stderr anyway: the three projects' 8888 went to the first.
    expect(result.stderr.split('\n').filter((line) => line && !/^warning: 8888 is kept for a\//.test(line))).toEqual(
      [],
    );
    expect(result.exitCode).toBe(0);
    expect(readYaml(join(root, 'compose', 'docker-compose.yml')).services).toHaveProperty('a-notebook');
  });

  it('writes byte-identical files for the same inputs', async () => {
    const root = workspace(THREE);
    await renderJson(root);
    const first = snapshot(join(root, 'compose'));
    await renderJson(root);
    expect(snapshot(join(root, 'compose'))).toEqual(first);
  });

  it('puts every service on the workspace network and gives a network only to projects of two or more services', async () => {
    const root = workspace({
      'which-project': 'solo\nduo\n',
      'projects/solo/envctl.yml': 'template: jupyter\n',
      'projects/duo/envctl.yml': 'template: jupyter\n',
      'projects/duo/compose.yml': 'services:\n  db:\n    image: postgres:16\n    ports: ["5432"]\n',
    });
    const rendered = await renderJson(root);
    const merged = readYaml(join(root, 'compose', 'docker-compose.yml'));
    expect(Object.keys(merged.networks).sort()).toEqual(['_workspace', 'duo']);
    expect(merged.services['solo-notebook'].networks).toEqual({ _workspace: { aliases: ['solo-notebook'] } });
    expect(merged.services['duo-db'].networks).toEqual({
      _workspace: { aliases: ['duo-db'] },
      duo: { aliases: ['db'] },
    });
    const subnets = Object.values<any>(merged.networks).map((n) => parseCidr(n.ipam.config[0].subnet));
    expect(overlaps(subnets[0]!, subnets[1]!)).toBe(false);
    expect(rendered.projects.find((p) => p.project === 'duo')!.network.subnet).toBe(
      merged.networks.duo.ipam.config[0].subnet,
    );
    expect(merged.services['duo-db'].ports).toEqual([expect.stringMatching(/^127\.0\.0\.1:\d+:5432\/tcp$/)]);
  });

  it('rebuilds a corrupt state file with a warning instead of failing', async () => {
    const root = workspace(THREE);
    const first = await renderJson(root);
    writeFileSync(join(root, 'compose', 'state.json'), '{ not json');
    const result = await envctl(root, ['render', '--json']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('warning:');
    expect(result.stderr).toContain('state.json could not be read');
    const again = JSON.parse(result.stdout);
    expect(again.projects[0].ports[0].url).toBe(first.projects[0]!.ports[0]!.url);
  });

  it('--check validates and writes nothing; --stdout prints the merged file', async () => {
    const root = workspace(THREE);
    const check = await envctl(root, ['render', '--check']);
    expect(check.exitCode, check.stderr).toBe(0);
    expect(snapshot(join(root, 'compose'))).toEqual({});
    const out = await envctl(root, ['render', '--stdout']);
    expect(Object.keys(parse(out.stdout).services)).toEqual(['a-notebook', 'b-notebook', 'c-notebook']);
  });

  it("lists ports and releases a project's ports", async () => {
    const root = workspace(THREE);
    await renderJson(root);
    writeFileSync(join(root, 'which-project'), 'a\nb\n');
    const listed = JSON.parse((await envctl(root, ['ports', '--json'])).stdout) as Array<{
      project: string;
      listed: boolean;
    }>;
    expect(listed.map((row) => [row.project, row.listed])).toEqual([
      ['a', true],
      ['b', true],
      ['c', false],
    ]);
    const released = await envctl(root, ['ports', 'release', 'c']);
    expect(released.stdout).toBe('Released 1 port of c.');
    const after = JSON.parse((await envctl(root, ['ports', '--json'])).stdout) as unknown[];
    expect(after).toHaveLength(2);
    const unknown = await envctl(root, ['ports', 'release', 'zzz']);
    expect(unknown.exitCode).toBe(2);
  });

  it('finds the workspace from a folder inside it, and says so clearly outside one', async () => {
    const root = workspace(THREE);
    const inside = await envctl(join(root, 'projects', 'a'), ['render', '--check']);
    expect(inside.exitCode, inside.stderr).toBe(0);
    const outside = await envctl(join(root, '..'), ['render', '--workspace', 'does-not-exist']);
    expect(outside.exitCode).toBe(2);
    expect(outside.stderr).toContain('no which-project file');
  });
});
