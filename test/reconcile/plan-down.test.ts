import { describe, expect, it } from 'vitest';
import type { ObservedContainer, ObservedNetwork } from '../../src/engine/observed.js';
import { LABEL } from '../../src/model/labels.js';
import { planDown } from '../../src/reconcile/plan-down.js';

const ROOT = '/ws';
const labels = (project?: string, root = ROOT): Record<string, string> => ({
  [LABEL.root]: root,
  ...(project ? { [LABEL.project]: project } : {}),
});
const container = (name: string, project: string, root = ROOT): ObservedContainer => ({
  id: name,
  name,
  state: 'running',
  status: 'Up',
  image: 'busybox',
  imageId: 'sha256:i',
  labels: labels(project, root),
  networks: [],
  ports: [],
});
const network = (name: string, project?: string) =>
  ({ id: name, name, labels: labels(project), subnets: [] }) as ObservedNetwork;

const observed = {
  containers: [container('a-1', 'a'), container('b-1', 'b'), container('x-1', 'a', '/other')],
  networks: [network('envctl_ws'), network('envctl_ws_a', 'a'), network('envctl_ws_b', 'b')],
  volumes: [{ name: 'ws_a_data', labels: labels('a') }],
};
const names = (items: Array<{ name: string }>) => items.map((item) => item.name);

describe("down's plan, from the engine's labels alone", () => {
  it("takes the whole workspace and none of another's; volumes only when asked", () => {
    const plan = planDown(observed, ROOT, {});
    expect(names(plan.containers)).toEqual(['a-1', 'b-1']);
    expect(plan.networks.map(({ network: n, ifInUse }) => `${n.name} ${ifInUse}`)).toEqual([
      'envctl_ws keep',
      'envctl_ws_a keep',
      'envctl_ws_b keep',
    ]);
    expect(plan.volumes).toEqual([]);
    expect(names(planDown(observed, ROOT, { volumes: true }).volumes)).toEqual(['ws_a_data']);
  });

  it("takes the named projects, and the workspace's network only when no project is left on it", () => {
    const one = planDown(observed, ROOT, { only: new Set(['a']), volumes: true });
    expect(names(one.containers)).toEqual(['a-1']);
    expect(one.networks.map(({ network: n }) => n.name)).toEqual(['envctl_ws_a']);
    expect(names(one.volumes)).toEqual(['ws_a_data']);
    const both = planDown(observed, ROOT, { only: new Set(['a', 'b']) });
    expect(both.networks.map(({ network: n }) => n.name)).toEqual(['envctl_ws', 'envctl_ws_a', 'envctl_ws_b']);
  });
});
