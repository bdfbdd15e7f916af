import { describe, expect, it } from 'vitest';
import { LABEL, SWARM_SPEC_HASH } from '../../src/model/labels.js';
import { applySwarmSteps, type Clock } from '../../src/execute/swarm-apply.js';
import { GPU_RESOURCE } from '../../src/engine/swarm.js';
import { OVERLAY_REMOVAL, SERVICE_RUNNING, SERVICE_STOPPED } from '../../src/reconcile/retry-policy.js';
import type { SwarmDesired, SwarmServiceSpec } from '../../src/reconcile/swarm-desired.js';
import { checkGpuFit, planSwarm } from '../../src/reconcile/swarm-plan.js';
import {
  swarmDownSteps,
  swarmRestartSteps,
  swarmSteps,
  swarmStopSteps,
  type SwarmStep,
} from '../../src/reconcile/swarm-steps.js';
import { MemorySwarm } from '../support/memory-swarm.js';

const ROOT = '/ws';
const NETWORK = 'envctl_ws';

function serviceSpec(project: string, gpus: number): SwarmServiceSpec {
  const labels = { [LABEL.root]: ROOT, [LABEL.project]: project, [SWARM_SPEC_HASH]: `h-${project}` };
  const resources = gpus
    ? {
        Resources: {
          Reservations: { GenericResources: [{ DiscreteResourceSpec: { Kind: GPU_RESOURCE, Value: gpus } }] },
        },
      }
    : {};
  return {
    name: `ws-${project}-web-1`,
    project,
    image: 'busybox',
    imageId: undefined,
    gpus,
    sharedGpus: 0,
    constraints: [],
    hash: `h-${project}`,
    spec: {
      Name: `ws-${project}-web-1`,
      Labels: labels,
      TaskTemplate: {
        ContainerSpec: { Image: 'busybox', Labels: labels },
        Networks: [{ Target: NETWORK }],
        ...resources,
      },
    },
  };
}

function desiredOf(...services: SwarmServiceSpec[]): SwarmDesired {
  const network = { name: NETWORK, create: { Name: NETWORK, Driver: 'overlay', Labels: { [LABEL.root]: ROOT } } };
  return { root: ROOT, stack: 'ws', services, networks: [network], warnings: [] };
}

/** A clock whose sleeps pass at once, adding up. */
function testClock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: (ms) => {
      slept.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

const quiet = { change: () => undefined, warning: () => undefined };

async function stepsFor(swarm: MemorySwarm, desired: SwarmDesired) {
  const [services, networks, nodes, tasks] = await Promise.all([
    swarm.services(LABEL.root),
    swarm.networks(),
    swarm.nodes(),
    swarm.tasks(),
  ]);
  const plan = planSwarm(desired, { services, networks });
  return swarmSteps(plan, checkGpuFit(plan, nodes, tasks, services));
}

describe('the swarm steps and their executor', () => {
  it('makes the network, then the services without GPUs, then each GPU service pinned, then waits for all', async () => {
    const swarm = new MemorySwarm([{ hostname: 'gpu1', gpus: ['GPU-a', 'GPU-b'] }]);
    const steps = await stepsFor(swarm, desiredOf(serviceSpec('train', 2), serviceSpec('notes', 0)));
    expect(steps.map((step) => `${step.kind} ${'name' in step ? step.name : ''}`.trim())).toEqual([
      'create-network',
      'create-service ws-notes-web-1',
      'create-service ws-train-web-1',
      'wait-running',
    ]);
    const train = steps[2]!;
    expect(train.kind === 'create-service' && train.wait).toEqual({ pollMs: 500, timeoutMs: 30_000 });
    expect(train.reason).toBe(
      'which-project lists it and the swarm has no such service; pinned to node node-1 for its GPUs',
    );
    expect(JSON.stringify(train.kind === 'create-service' && train.spec)).toContain(
      '"Constraints":["node.id==node-1"]',
    );

    const settled = await applySwarmSteps(swarm, steps, quiet, testClock());
    expect(settled?.failures).toEqual([]);
    expect(swarm.calls).toEqual([
      `create network ${NETWORK}`,
      'create service ws-notes-web-1',
      'create service ws-train-web-1',
    ]);
    const tasks = await swarm.tasks();
    expect(tasks.map((task) => [task.state, task.gpus.length])).toEqual([
      ['running', 0],
      ['running', 2],
    ]);
  });

  it('is why the order matters: a GPU task first on a node without the overlay is rejected by the swarm', async () => {
    const swarm = new MemorySwarm([{ hostname: 'gpu1', gpus: ['GPU-a'] }]);
    const steps = await stepsFor(swarm, desiredOf(serviceSpec('train', 1), serviceSpec('notes', 0)));
    const reversed = [steps[0]!, steps[2]!, steps[1]!, steps[3]!].map((step) =>
      step.kind === 'create-service' ? { ...step, wait: undefined } : step,
    );
    const clock = testClock();
    const settled = await applySwarmSteps(swarm, reversed, quiet, clock);
    expect(settled?.failures).toEqual([
      {
        project: 'train',
        service: 'ws-train-web-1',
        reason: 'node is missing network attachments, ip addresses may be exhausted',
      },
    ]);
  });

  it("reports a service that gets no running task after the wait, with the swarm's reason, on the clock given", async () => {
    const swarm = new MemorySwarm([
      { hostname: 'gpu1', gpus: ['GPU-a'] },
      { hostname: 'cpu1', gpus: [] },
    ]);
    // Asked of the node without GPUs, where its reservation cannot be met.
    const greedy = serviceSpec('greedy', 1);
    (greedy.spec.TaskTemplate as Record<string, unknown>).Placement = { Constraints: ['node.hostname==cpu1'] };
    const steps: SwarmStep[] = [
      { kind: 'create-network', network: desiredOf().networks[0]!, reason: 'test' },
      {
        kind: 'create-service',
        name: greedy.name,
        project: 'greedy',
        spec: greedy.spec,
        wait: undefined,
        reason: 'test',
      },
      { kind: 'wait-running', names: [greedy.name], wait: SERVICE_RUNNING, reason: 'test' },
    ];
    const clock = testClock();
    const settled = await applySwarmSteps(swarm, steps, quiet, clock);
    expect(settled?.failures).toEqual([
      { project: 'greedy', service: greedy.name, reason: 'no suitable node (insufficient resources on 1 node)' },
    ]);
    expect(clock.now()).toBeGreaterThan(SERVICE_RUNNING.timeoutMs);
    expect(new Set(clock.slept)).toEqual(new Set([SERVICE_RUNNING.pollMs]));
  });

  it('takes the workspace away on down: its services, then its network, waiting until the swarm lets it go', async () => {
    const swarm = new MemorySwarm([{ hostname: 'gpu1', gpus: ['GPU-a'] }]);
    await applySwarmSteps(swarm, await stepsFor(swarm, desiredOf(serviceSpec('notes', 0))), quiet, testClock());
    const [services, networks] = await Promise.all([swarm.services(LABEL.root, ROOT), swarm.networks()]);
    const down = swarmDownSteps(ROOT, { services, networks }, undefined);
    expect(down.map((step) => step.kind)).toEqual(['remove-service', 'remove-network']);
    const changes: string[] = [];
    await applySwarmSteps(
      swarm,
      down,
      { ...quiet, change: (project, text) => changes.push(`${project}: ${text}`) },
      testClock(),
    );
    expect(changes).toEqual(['notes: removed service ws-notes-web-1', `null: removed network ${NETWORK}`]);
    expect(await swarm.networks()).toEqual([]);
  });

  it('gives up on a network still in use after the overlay policy, having waited its every delay', async () => {
    const swarm = new MemorySwarm([{ hostname: 'gpu1', gpus: [] }]);
    await applySwarmSteps(swarm, await stepsFor(swarm, desiredOf(serviceSpec('notes', 0))), quiet, testClock());
    const [network] = await swarm.networks();
    const clock = testClock();
    const removal = applySwarmSteps(
      swarm,
      [{ kind: 'remove-network', network: network!, reason: 'test' }],
      quiet,
      clock,
    );
    await expect(removal).rejects.toThrow(/is in use by service/);
    expect(clock.slept).toEqual(OVERLAY_REMOVAL.delaysMs);
  });
});

describe('restart on a swarm', () => {
  it("gives each named project's service a new task and waits until the new one runs", async () => {
    const swarm = new MemorySwarm([{ hostname: 'gpu1' }]);
    await applySwarmSteps(swarm, await stepsFor(swarm, desiredOf(serviceSpec('a', 0), serviceSpec('b', 0))), quiet);
    const [services, tasks] = await Promise.all([swarm.services(LABEL.root), swarm.tasks()]);
    const steps = swarmRestartSteps(ROOT, { services, tasks }, new Set(['a']));
    expect(steps.map((step) => step.kind === 'restart-service' && step.service.name)).toEqual(['ws-a-web-1']);
    const said: string[] = [];
    const settled = await applySwarmSteps(
      swarm,
      steps,
      { ...quiet, change: (_p, text) => said.push(text) },
      testClock(),
    );
    expect(said).toEqual(['restarted service ws-a-web-1']);
    expect(settled!.failures).toEqual([]);
    const running = (await swarm.tasks()).filter((task) => task.state === 'running');
    const before = new Set(tasks.map((task) => task.id));
    const a = services.find((service) => service.name === 'ws-a-web-1')!.id;
    expect(running.filter((task) => task.serviceId === a && !before.has(task.id))).toHaveLength(1);
    expect(running.filter((task) => task.serviceId !== a).every((task) => before.has(task.id))).toBe(true);
    expect(swarm.calls.filter((call) => call.startsWith('force update'))).toEqual(['force update ws-a-web-1']);
  });

  it('fails with the reason when no new task runs', async () => {
    const swarm = new MemorySwarm([{ hostname: 'gpu1' }]);
    await applySwarmSteps(swarm, await stepsFor(swarm, desiredOf(serviceSpec('a', 0))), quiet);
    const [services, tasks] = await Promise.all([swarm.services(LABEL.root), swarm.tasks()]);
    // A swarm that takes the restart and starts nothing new: the wait must end and say so.
    swarm.forceUpdate = () => Promise.resolve();
    const steps = swarmRestartSteps(ROOT, { services, tasks }, undefined);
    const settled = await applySwarmSteps(swarm, steps, quiet, testClock());
    expect(settled!.failures).toEqual([
      { project: 'a', service: 'ws-a-web-1', reason: `no task of it runs after ${SERVICE_RUNNING.timeoutMs / 1000} s` },
    ]);
  });
});

describe('Ctrl+C of a foreground up on a swarm', () => {
  it('scales the named projects to no task, says each once it is gone, and the next up starts it again', async () => {
    const swarm = new MemorySwarm([{ hostname: 'gpu1', gpus: ['GPU-0'] }]);
    const desired = desiredOf(serviceSpec('a', 1), serviceSpec('b', 0));
    await applySwarmSteps(swarm, await stepsFor(swarm, desired), quiet);
    const steps = swarmStopSteps(ROOT, await swarm.services(LABEL.root), new Set(['a']));
    expect(steps.map((step) => step.kind)).toEqual(['stop-service', 'wait-stopped']);
    const said: string[] = [];
    await applySwarmSteps(swarm, steps, { ...quiet, change: (_p, text) => said.push(text) }, testClock());
    expect(said).toEqual(['stopped service ws-a-web-1']);
    const services = await swarm.services(LABEL.root);
    const a = services.find((service) => service.name === 'ws-a-web-1')!;
    expect(a.replicas).toBe(0);
    expect((await swarm.tasks([a.id])).filter((task) => task.state === 'running')).toEqual([]);
    expect(swarmStopSteps(ROOT, services, new Set(['a']))).toEqual([]);

    const plan = planSwarm(desired, { services, networks: await swarm.networks() });
    expect(plan.update.map((update) => [update.spec.name, update.stopped])).toEqual([['ws-a-web-1', true]]);
    expect(plan.unchanged.map((spec) => spec.name)).toEqual(['ws-b-web-1']);
    said.length = 0;
    await applySwarmSteps(swarm, await stepsFor(swarm, desired), { ...quiet, change: (_p, text) => said.push(text) });
    expect(said).toEqual(['started service ws-a-web-1']);
    const again = (await swarm.tasks([a.id])).filter((task) => task.state === 'running');
    expect(again.map((task) => task.gpus)).toEqual([['GPU-0']]);
  });

  it('says which service still runs once the wait is over, without failing', async () => {
    const swarm = new MemorySwarm([{ hostname: 'gpu1' }]);
    await applySwarmSteps(swarm, await stepsFor(swarm, desiredOf(serviceSpec('a', 0))), quiet);
    // A swarm that takes the scale and ends nothing: the wait must end and say so.
    swarm.scale = () => Promise.resolve();
    const warnings: string[] = [];
    const steps = swarmStopSteps(ROOT, await swarm.services(LABEL.root), undefined);
    await applySwarmSteps(swarm, steps, { ...quiet, warning: (text) => warnings.push(text) }, testClock());
    expect(warnings).toEqual([`ws-a-web-1 still runs ${SERVICE_STOPPED.timeoutMs / 1000} s after being stopped`]);
  });
});
