import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { EngineError } from '../../src/errors/envctl-error.js';
import { GPU_RESOURCE, type Swarm, type SwarmTask } from '../../src/engine/swarm.js';
import { LABEL } from '../../src/model/labels.js';

/** What a contract run needs: the swarm (made once its cluster runs), an image its nodes hold, a free host port. */
export interface SwarmSubject {
  swarm: () => Swarm;
  image: string;
  port: number;
  /** How long the swarm may take to get somewhere (a real one: seconds). */
  patienceMs: number;
}

/**
 * One contract, two swarms: the in-memory one the executor's unit tests use (test/support/memory-swarm.ts) and a
 * real one of two nodes with two named GPUs each. What envctl's swarm path relies on is checked on both.
 */
export function swarmContract(subject: SwarmSubject): void {
  const root = `/envctl-swarm-contract/${randomUUID()}`;
  const tag = root.slice(-6);
  const network = `envctl_sc_${tag}`;
  const labels = { [LABEL.root]: root, [LABEL.project]: 'p' };
  const eventually = (check: () => Promise<boolean>, what: string) => until(check, subject.patienceMs, what);

  const serviceSpec = (name: string, nodeId: string, gpus: number) => ({
    Name: name,
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: { Image: subject.image, Command: ['sleep', '3600'], Labels: labels },
      Placement: { Constraints: [`node.id==${nodeId}`] },
      ...(gpus
        ? {
            Resources: {
              Reservations: { GenericResources: [{ DiscreteResourceSpec: { Kind: GPU_RESOURCE, Value: gpus } }] },
            },
          }
        : {}),
      Networks: [{ Target: network }],
      RestartPolicy: { Condition: 'on-failure' },
    },
    EndpointSpec: {
      Mode: 'dnsrr',
      Ports: gpus ? [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: subject.port, PublishMode: 'host' }] : [],
    },
  });
  const runningTask = async (serviceId: string): Promise<SwarmTask | undefined> =>
    (await subject.swarm().tasks([serviceId])).find(
      (task) => task.state === 'running' && task.desiredState === 'running',
    );

  it('is a manager, and lists its nodes with their GPUs', async () => {
    const swarm = subject.swarm();
    expect(await swarm.status()).toMatchObject({ active: true, manager: true });
    const nodes = await swarm.nodes();
    expect(nodes.length).toBe(2);
    for (const node of nodes) {
      expect(node).toMatchObject({ availability: 'active', state: 'ready' });
      expect(node.gpus.length).toBe(2);
    }
    expect(nodes.map((node) => node.role).sort()).toEqual(['manager', 'worker']);
  });

  it('makes a network once, lists it by name and labels, and says false when it is made again', async () => {
    const swarm = subject.swarm();
    const body = { Name: network, Driver: 'overlay', Attachable: true, Scope: 'swarm', Labels: labels };
    expect(await swarm.createNetwork(body)).toBe(true);
    expect(await swarm.createNetwork(body)).toBe(false);
    const listed = (await swarm.networks()).find((candidate) => candidate.name === network);
    expect(listed?.labels).toMatchObject(labels);
  });

  it('runs a task of a service on the node its constraint names, with the GPUs it reserves', async () => {
    const swarm = subject.swarm();
    const [node] = (await swarm.nodes()).filter((candidate) => candidate.role === 'worker');
    // A task without GPUs first gives the node its attachment to the overlay, as envctl's steps do (swarmSteps):
    // a GPU task that comes first is rejected on Engine 20.10 ("node is missing network attachments").
    const plain = await swarm.createService(serviceSpec(`sc-${tag}-plain`, node!.id, 0));
    await eventually(async () => (await runningTask(plain)) !== undefined, 'a running task without GPUs');
    const id = await swarm.createService(serviceSpec(`sc-${tag}-web`, node!.id, 1));
    const listed = (await swarm.services(LABEL.root, root)).find((service) => service.id === id);
    expect(listed).toMatchObject({ id, name: `sc-${tag}-web`, labels });
    await eventually(async () => (await runningTask(id)) !== undefined, 'a running task with a GPU');
    const running = (await swarm.services(LABEL.root, root)).find((service) => service.id === id);
    expect(running!.ports).toEqual([{ protocol: 'tcp', targetPort: 80, publishedPort: subject.port }]);
    const task = (await runningTask(id))!;
    expect(task.nodeId).toBe(node!.id);
    expect(task.gpus.length).toBe(1);
    expect(node!.gpus).toContain(task.gpus[0]);
  });

  it('updates a service at the version read, and refuses a stale version', async () => {
    const swarm = subject.swarm();
    const listed = (await swarm.services(LABEL.root, root)).find((service) => service.name === `sc-${tag}-web`);
    const [node] = (await swarm.nodes()).filter((candidate) => candidate.role === 'worker');
    const spec = serviceSpec(listed!.name, node!.id, 2);
    await swarm.updateService(listed!.id, listed!.version, spec);
    const after = (await swarm.services(LABEL.root, root)).find((service) => service.id === listed!.id);
    expect(after!.version).toBeGreaterThan(listed!.version);
    await expect(swarm.updateService(listed!.id, listed!.version, spec)).rejects.toBeInstanceOf(EngineError);
    await eventually(async () => (await runningTask(listed!.id))?.gpus.length === 2, 'a task with both GPUs').catch(
      async (error: unknown) => {
        throw new Error(`${(error as Error).message}: ${JSON.stringify(await swarm.tasks())}`);
      },
    );
  });

  it('replaces the task of a service on a forced update, with the same spec', async () => {
    const swarm = subject.swarm();
    const listed = (await swarm.services(LABEL.root, root)).find((service) => service.name === `sc-${tag}-plain`)!;
    const before = (await runningTask(listed.id))!;
    await swarm.forceUpdate(listed.id);
    await eventually(async () => {
      const task = await runningTask(listed.id);
      return task !== undefined && task.id !== before.id;
    }, 'a new running task');
    expect((await runningTask(listed.id))!.nodeId).toBe(before.nodeId);
  });

  it('scales a service to no task and back, its spec and labels kept', async () => {
    const swarm = subject.swarm();
    const listed = (await swarm.services(LABEL.root, root)).find((service) => service.name === `sc-${tag}-plain`)!;
    expect(listed.replicas).toBe(1);
    await swarm.scale(listed.id, 0);
    await eventually(async () => (await runningTask(listed.id)) === undefined, 'no running task');
    const stopped = (await swarm.services(LABEL.root, root)).find((service) => service.id === listed.id)!;
    expect(stopped.replicas).toBe(0);
    expect(stopped.labels).toEqual(listed.labels);
    await swarm.scale(listed.id, 1);
    await eventually(async () => (await runningTask(listed.id)) !== undefined, 'a running task again');
  });

  it('refuses to remove a network a service uses; once the service is removed, the network goes', async () => {
    const swarm = subject.swarm();
    await expect(swarm.removeNetwork(network)).rejects.toBeInstanceOf(EngineError);
    const services = await swarm.services(LABEL.root, root);
    for (const service of services) await swarm.removeService(service.id);
    expect(await swarm.services(LABEL.root, root)).toEqual([]);
    const listed = services[0];
    await eventually(async () => {
      const removed = await swarm.removeNetwork(network).then(
        () => true,
        () => false,
      );
      return removed && !(await swarm.networks()).some((candidate) => candidate.name === network);
    }, 'the network gone');
    await expect(swarm.tasks([listed!.id])).rejects.toBeInstanceOf(EngineError);
    await eventually(
      async () => !(await swarm.tasks()).some((task) => task.serviceId === listed!.id),
      'no task of the removed service',
    );
  });
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
