import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/model/labels.js';
import { overlaps, parseCidr } from '../../src/util/cidr.js';
import { envctl, removeWorkspace } from '../support/workspace.js';
import {
  cleanEngine,
  docker,
  engineAnswers,
  engineWorkspace,
  httpGet,
  workspaceContainers,
  workspaceNetworks,
} from './engine-support.js';

const hasEngine = await engineAnswers();

const SINGLE = 40;
const DOUBLE = 20;
const singles = Array.from({ length: SINGLE }, (_, i) => `solo${i}`);
const doubles = Array.from({ length: DOUBLE }, (_, i) => `duo${i}`);
const FOREIGN_NETWORK = '10.231.0.0/24';
const FOREIGN_ROUTE = '10.231.1.0/24';

/** The side service of a two-service project: a page of its own, on the same container port. */
const SIDE =
  'services:\n  side:\n    image: busybox:latest\n    command: ["sh", "-c", "mkdir -p /www && echo side > /www/index.html && exec httpd -f -p 8080 -h ' +
  '/www"]\n    stop_signal: SIGKILL\n';

async function execIn(containerId: string, command: string[]): Promise<string> {
  const result = await execa('docker', ['exec', containerId, ...command], { reject: false });
  return result.exitCode === 0 ? result.stdout : `failed (${result.exitCode}): ${result.stderr}`;
}

describe.runIf(hasEngine)('networks for 60 projects on an engine with default settings', () => {
  let root: string;
  let foreignId: string;

  beforeAll(async () => {
    root = engineWorkspace({
      'workspace.yml': 'ports:\n  range: "20000-20999"\nnetworks:\n  range: 10.231.0.0/20\n',
      'which-project': [...singles, ...doubles].join('\n'),
      ...Object.fromEntries(singles.map((name) => [`projects/${name}/envctl.yml`, 'template: web\n'])),
      ...Object.fromEntries(
        doubles.flatMap((name) => [
          [`projects/${name}/envctl.yml`, 'template: web\n'],
          [`projects/${name}/compose.yml`, SIDE],
        ]),
      ),
    });
    foreignId = (
      await docker.createNetwork({
        Name: `foreign-${Date.now()}`,
        IPAM: { Driver: 'default', Config: [{ Subnet: FOREIGN_NETWORK }] },
      })
    ).id;
    await execa('ip', ['route', 'add', FOREIGN_ROUTE, 'dev', 'lo']);
    const result = await envctl(root, ['up', '-d']);
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
  }, 300_000);

  afterAll(async () => {
    await execa('ip', ['route', 'del', FOREIGN_ROUTE, 'dev', 'lo'], { reject: false });
    await docker
      .getNetwork(foreignId)
      .remove()
      .catch(() => undefined);
    await cleanEngine(root);
    removeWorkspace(root);
  });

  it('runs every service, each answering HTTP on its host port', async () => {
    const containers = await workspaceContainers(root);
    expect(containers).toHaveLength(SINGLE + 2 * DOUBLE);
    for (const container of containers) {
      expect(container.State).toBe('running');
      const port = container.Ports.find((p) => p.PublicPort)?.PublicPort;
      if (container.Labels[LABEL.service] === 'side') continue;
      expect((await httpGet(`http://127.0.0.1:${port}/`)).body).toBe(`${container.Labels[LABEL.project]} hello \n`);
    }
  });

  it('holds exactly 1 + 20 networks of the workspace, none overlapping each other, the foreign network or the host route', async () => {
    const networks = await workspaceNetworks(root);
    expect(networks).toHaveLength(1 + DOUBLE);
    const subnets = networks.map((network) => parseCidr(network.IPAM!.Config![0]!.Subnet!));
    for (const [i, a] of subnets.entries()) {
      for (const b of subnets.slice(i + 1)) expect(overlaps(a, b)).toBe(false);
      expect(overlaps(a, parseCidr(FOREIGN_NETWORK))).toBe(false);
      expect(overlaps(a, parseCidr(FOREIGN_ROUTE))).toBe(false);
    }
  });

  it("lets a project reach another by <project>-<service>, and a project's services reach each other by short name", async () => {
    const containers = await workspaceContainers(root);
    const web = (project: string) =>
      containers.find((c) => c.Labels[LABEL.project] === project && c.Labels[LABEL.service] === 'web')!.Id;
    expect(await execIn(web('solo0'), ['wget', '-qO-', 'http://solo1-web:8080/'])).toBe('solo1 hello ');
    expect(await execIn(web('solo0'), ['wget', '-qO-', 'http://duo3-side:8080/'])).toBe('side');
    expect(await execIn(web('duo0'), ['wget', '-qO-', 'http://side:8080/'])).toBe('side');
    // A one-service project has no network of its own, so short names of other projects do not resolve there.
    expect(await execIn(web('solo0'), ['wget', '-qO-', '-T', '2', 'http://side:8080/'])).toMatch(/^failed/);
  });

  it('moves a project whose previous subnet is now taken, and down leaves no network of the workspace', async () => {
    const before = (await workspaceNetworks(root)).find((n) => n.Labels?.[LABEL.project] === 'duo0')!;
    const oldSubnet = before.IPAM!.Config![0]!.Subnet!;
    expect((await envctl(root, ['down', 'duo0'])).exitCode).toBe(0);
    const thief = await docker.createNetwork({
      Name: `thief-${Date.now()}`,
      IPAM: { Driver: 'default', Config: [{ Subnet: oldSubnet }] },
    });
    try {
      const result = await envctl(root, ['up', '-d']);
      expect(result.exitCode, result.stderr).toBe(0);
      const after = (await workspaceNetworks(root)).find((n) => n.Labels?.[LABEL.project] === 'duo0')!;
      expect(after.IPAM!.Config![0]!.Subnet).not.toBe(oldSubnet);
      const others = (await workspaceNetworks(root))
        .filter((n) => n.Labels?.[LABEL.project] !== 'duo0')
        .map((n) => n.IPAM!.Config![0]!.Subnet);
      expect(others).not.toContain(after.IPAM!.Config![0]!.Subnet);
    } finally {
      await thief.remove();
    }
    // Removals a few at a time avoid dockerd 20.10's stale endpoint count (moby/moby#43286; bench/RESULTS.md):
    // a whole down must leave nothing.
    const down = await envctl(root, ['down']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await workspaceNetworks(root)).toEqual([]);
    expect(await workspaceContainers(root)).toEqual([]);
  });
});
