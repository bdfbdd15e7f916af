import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../src/engine/docker-engine.js';
import {
  ImageMissingError,
  NetworkInUseError,
  PortTakenError,
  SubnetTakenError,
} from '../../src/engine/engine-errors.js';
import { localEngineSocket } from '../../src/engine/engine-socket.js';
import { SocketReads } from '../../src/engine/engine-snapshot.js';
import type { ContainerCreateBody, Engine } from '../../src/engine/engine.js';
import { observe, type Observed } from '../../src/engine/observed.js';
import { ENVCTL_BUILD_HASH, LABEL } from '../../src/model/labels.js';
import { NETWORK_ENDPOINTS_GO } from '../../src/reconcile/retry-policy.js';
import { MemoryEngine } from '../support/memory-engine.js';
import { engineAnswers } from './engine-support.js';

/**
 * One contract, two engines: the in-memory engine that unit tests use (test/support/memory-engine.ts) and the
 * real Docker Engine through the adapter. Whatever envctl relies on is checked on both, so the fake cannot lie.
 * Host ports 29020-29029 and the block 10.251.0.0/24 are this file's.
 */
const IMAGE = 'busybox:latest';
const ABSENT = 'envctl-contract/absent:1';
const PORT = 29020;

interface Subject {
  engine: Engine;
  /** The bare-socket reader of the no-op up, where there is one: it must observe what dockerode observes. */
  socketReads?: SocketReads;
}

const hasEngine = await engineAnswers();
const subjects: Array<[string, () => Subject]> = [
  ['the in-memory engine', () => ({ engine: new MemoryEngine({ images: [IMAGE] }) })],
  ...(hasEngine
    ? [
        [
          'the real Docker Engine',
          () => ({ engine: new DockerEngine(new Docker()), socketReads: new SocketReads(localEngineSocket()!) }),
        ] as [string, () => Subject],
      ]
    : []),
];

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe.each(subjects)('the engine contract, on %s', (_name, make) => {
  const root = `/envctl-contract/${randomUUID()}`;
  const labels = { [LABEL.root]: root, [LABEL.project]: 'p' };
  const { engine, socketReads } = make();
  const network = `envctl_contract_${root.slice(-8)}`;
  const volume = `envctl_contract_${root.slice(-8)}_data`;
  const serving = (name: string): Promise<string> => engine.createContainer(name, containerBody(labels, network));
  cleanups.push(() => removeAll(engine, root, [network, `${network}_b`], volume));

  it('observes what it made by its labels, in the one Observed shape', async () => {
    await engine.createNetwork({ Name: network, Labels: labels, IPAM: { Config: [{ Subnet: '10.251.0.0/25' }] } });
    await engine.createVolume({ Name: volume, Labels: labels });
    const id = await serving(`${network}-web-1`);
    await engine.startContainer(id);
    const observed = await observe(engine, root, [IMAGE, ABSENT]);
    const [container] = observed.containers;
    expect(observed.containers).toHaveLength(1);
    expect(container).toMatchObject({ id, name: `${network}-web-1`, state: 'running', image: IMAGE, labels });
    expect(container!.networks).toEqual([network]);
    expect(container!.ports.map(({ hostPort, containerPort }) => ({ hostPort, containerPort }))).toContainEqual({
      hostPort: PORT,
      containerPort: 8080,
    });
    expect(observed.networks.find((n) => n.name === network)).toMatchObject({ subnets: ['10.251.0.0/25'], labels });
    expect(observed.volumes).toEqual([{ name: volume, labels }]);
    expect([...observed.images.keys()]).toEqual([IMAGE]);
    expect(observed.images.get(IMAGE)?.id).toBe(container!.imageId);
    if (socketReads) expect(normal(await observe(socketReads, root, [IMAGE, ABSENT]))).toEqual(normal(observed));
  });

  it('says with a typed error what someone else holds: a subnet, a host port, a network in use', async () => {
    const overlapping = engine.createNetwork({
      Name: `${network}_b`,
      Labels: labels,
      IPAM: { Config: [{ Subnet: '10.251.0.0/24' }] },
    });
    await expect(overlapping).rejects.toBeInstanceOf(SubnetTakenError);
    await expect(overlapping).rejects.toMatchObject({ subnet: '10.251.0.0/24' });
    const second = await serving(`${network}-web-2`);
    const start = engine.startContainer(second);
    await expect(start).rejects.toBeInstanceOf(PortTakenError);
    await expect(start).rejects.toMatchObject({ port: PORT });
    await engine.removeContainer(second);
    const remove = engine.removeNetwork(network, NETWORK_ENDPOINTS_GO.delaysMs);
    await expect(remove).rejects.toBeInstanceOf(NetworkInUseError);
    await expect(remove).rejects.toMatchObject({ network, users: 1 });
    await expect(engine.pullImage(ABSENT, () => undefined)).rejects.toBeInstanceOf(ImageMissingError);
    expect(await engine.image(ABSENT)).toBeUndefined();
  });

  it("keeps a stopped container's host ports taken, and removes quietly what is already gone", async () => {
    const [container] = await engine.containers(LABEL.root, root);
    await engine.stopContainer(container!.id, 1);
    expect((await engine.containers(LABEL.root, root))[0]?.state).toBe('exited');
    expect((await engine.inspectContainer(container!.id)).State.Running).toBe(false);
    expect((await engine.publishedPorts()).map((port) => port.port)).toContain(PORT);
    await engine.removeContainer(container!.id);
    await engine.removeContainer(container!.id);
    await engine.removeNetwork(network, NETWORK_ENDPOINTS_GO.delaysMs);
    await engine.removeNetwork(network, NETWORK_ENDPOINTS_GO.delaysMs);
    await engine.removeVolume(volume);
    const observed = await observe(engine, root, []);
    expect([observed.containers, observed.volumes]).toEqual([[], []]);
    expect(observed.networks.map((n) => n.name)).not.toContain(network);
    expect((await engine.publishedPorts()).map((port) => port.port)).not.toContain(PORT);
  });
});

describe.each(subjects)('the engine contract for images, on %s', (name, make) => {
  const { engine } = make();
  const hash = `contract-${randomUUID()}`;
  const tag = `envctl-contract/built:${hash.slice(-8)}`;
  const renamed = `envctl-contract/renamed:${hash.slice(-8)}`;
  const context = mkdtempSync(join(tmpdir(), 'envctl-contract-'));
  writeFileSync(join(context, 'Dockerfile'), 'FROM busybox:latest\n');
  cleanups.push(async () => {
    rmSync(context, { recursive: true, force: true });
    if (name === 'the real Docker Engine')
      for (const reference of [tag, renamed])
        await new Docker()
          .getImage(reference)
          .remove()
          .catch(() => undefined);
  });

  it('finds a build by its hash, gives it another name, and saves and loads it', async () => {
    const labels = { [ENVCTL_BUILD_HASH]: hash };
    const args = { context, dockerfile: undefined, tag, args: {}, labels, dependencyFiles: [] };
    await engine.buildImage(args, () => undefined);
    const build = (await engine.builds()).find((candidate) => candidate.hash === hash);
    expect(build).toMatchObject({ labels: expect.objectContaining(labels) });
    expect((await engine.image(tag))?.id).toBe(build!.id);
    await engine.tagImage(build!.id, renamed);
    expect((await engine.image(renamed))?.id).toBe(build!.id);
    const saved = join(context, 'images.tar');
    await engine.saveImages([build!.id], createWriteStream(saved));
    await engine.loadImages(createReadStream(saved));
    expect((await engine.builds()).filter((candidate) => candidate.hash === hash)).toHaveLength(1);
    await expect(engine.tagImage('sha256:' + '0'.repeat(64), renamed)).rejects.toThrow();
  });
});

function containerBody(labels: Record<string, string>, network: string): ContainerCreateBody {
  return {
    Image: IMAGE,
    Cmd: ['httpd', '-f', '-p', '8080'],
    Labels: labels,
    ExposedPorts: { '8080/tcp': {} },
    StopSignal: 'SIGKILL',
    HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(PORT) }] } },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: ['web'] } } },
  };
}

/** Observed, in an order that does not depend on the engine's listing order. */
function normal(observed: Observed) {
  return {
    ...observed,
    networks: [...observed.networks].sort((a, b) => a.name.localeCompare(b.name)),
    images: [...observed.images].sort(),
  };
}

async function removeAll(engine: Engine, root: string, networks: string[], volume: string): Promise<void> {
  for (const container of await engine.containers(LABEL.root, root)) await engine.removeContainer(container.id);
  for (const name of networks) await engine.removeNetwork(name, NETWORK_ENDPOINTS_GO.delaysMs).catch(() => undefined);
  await engine.removeVolume(volume).catch(() => undefined);
}
