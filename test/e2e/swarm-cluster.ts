import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import Docker from 'dockerode';
import { NetnsBridge } from './netns.js';
import { knownHostsLine, makeKey, prepareSshd, startSshd, type RunningSshd, type SshdOptions } from './sshd.js';

/**
 * A Docker Swarm of two "GPU servers" on this machine: each node a dockerd in a network namespace of its own
 * (own hostname, data root, exec root, socket), the namespaces joined by a bridge, each advertising two stand-in
 * GPUs as generic resources (daemon.json node-generic-resources) and with the stand-in NVIDIA hook on its PATH.
 * node1 is the manager, node2 joins it as a worker. The host reaches both nodes' addresses over the bridge.
 * Each node runs an sshd (test/e2e/sshd.ts) whose sessions find the node's engine by DOCKER_HOST; `sshConfig`
 * names the nodes by their hostnames, as a lab's ~/.ssh/config does (ENVCTL_SSH_COMMAND="ssh -F ...").
 */
export class SwarmCluster {
  readonly dir = mkdtempSync('/tmp/envctl-swarm-');
  private readonly tag = `${process.pid % 1000}${Math.floor(Math.random() * 100)}`;
  private readonly octet = 1 + (Number(this.tag) % 250);
  private readonly bridge = new NetnsBridge(`esb${this.tag}`, `10.252.${this.octet}.1/24`);
  readonly nodes = [1, 2].map((n) => ({
    name: `node${n}`,
    namespace: `envctl-sw-${this.tag}-${n}`,
    link: `esv${this.tag}${n}`,
    peer: `esp${this.tag}${n}`,
    address: `10.252.${this.octet}.1${n}`,
    socket: join(this.dir, `node${n}.sock`),
    gpus: [`GPU-node${n}-a`, `GPU-node${n}-b`],
  }));
  readonly docker = this.nodes.map((node) => new Docker({ socketPath: node.socket }));
  readonly sshConfig = join(this.dir, 'ssh_config');
  private readonly daemons: ResultPromise[] = [];
  private readonly sshds: RunningSshd[] = [];

  /** A registry on the nodes' network (Debian's docker-registry, plain HTTP), for swarm.registry. */
  get registry(): string {
    return `10.252.${this.octet}.1:5000`;
  }

  get managerUrl(): string {
    return `unix://${this.nodes[0]!.socket}`;
  }

  /** The manager as a laptop reaches it: over SSH, by its hostname. */
  get managerSshUrl(): string {
    return `ssh://root@${this.nodes[0]!.name}`;
  }

  /** ENVCTL_SSH_COMMAND for envctl: the laptop's ssh, with the nodes' names, key and known_hosts. */
  get sshCommand(): string {
    return `ssh -F ${this.sshConfig}`;
  }

  async start(): Promise<void> {
    await this.bridge.create();
    await this.startRegistry();
    const bin = join(this.dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'nvidia-container-runtime-hook'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(bin, 'nvidia-container-runtime-hook'), 0o755);
    for (const node of this.nodes) await this.startNode(node, bin);
    await this.startSshds(bin);
    const [manager, worker] = this.docker as [Docker, Docker];
    await manager.swarmInit({ ListenAddr: `${this.nodes[0]!.address}:2377`, AdvertiseAddr: this.nodes[0]!.address });
    const token = ((await manager.swarmInspect()) as { JoinTokens: { Worker: string } }).JoinTokens.Worker;
    await worker.swarmJoin({
      ListenAddr: `${this.nodes[1]!.address}:2377`,
      AdvertiseAddr: this.nodes[1]!.address,
      RemoteAddrs: [`${this.nodes[0]!.address}:2377`],
      JoinToken: token,
    });
    await until(async () => {
      const nodes = (await manager.listNodes()) as Array<{ Status?: { State?: string } }>;
      return nodes.length === 2 && nodes.every((node) => node.Status?.State === 'ready');
    }, 'both swarm nodes ready');
  }

  /** Copies an image from the tests' main engine to every node (no registry is reachable). */
  async loadFrom(image: string): Promise<void> {
    for (const node of this.nodes)
      await execa('sh', ['-c', `docker save ${image} | docker -H unix://${node.socket} load`]);
  }

  /** The home folder of the node's SSH sessions. */
  homeOf(name: string): string {
    return join(this.dir, `${name}-home`);
  }

  /** A process on a node holding a TCP port, listening once this resolves, until the function returned is called. */
  async holdPort(index: number, port: number): Promise<() => void> {
    const namespace = `--net=/var/run/netns/${this.nodes[index]!.namespace}`;
    const script = `require('net').createServer().listen(${port}, '0.0.0.0')`;
    const child = execa('nsenter', [namespace, 'node', '-e', script], { reject: false });
    const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
    await until(async () => {
      const { stdout } = await execa('nsenter', [namespace, 'cat', '/proc/net/tcp']);
      return stdout.split('\n').some((line) => line.includes(hex) && line.includes(' 0A '));
    }, `the process holding port ${port}`);
    return () => child.kill('SIGKILL');
  }

  /** The containers of a node, with their labels and environment. */
  async containers(index: number) {
    const docker = this.docker[index]!;
    const list = await docker.listContainers();
    return Promise.all(list.map((info) => docker.getContainer(info.Id).inspect()));
  }

  async remove(): Promise<void> {
    for (const docker of this.docker) {
      const services = await docker.listServices().catch(() => []);
      for (const service of services)
        await docker
          .getService(service.ID)
          .remove()
          .catch(() => undefined);
    }
    for (const docker of [...this.docker].reverse()) await docker.swarmLeave({ force: true }).catch(() => undefined);
    for (const sshd of this.sshds) await sshd.stop();
    this.registryProcess?.kill('SIGTERM');
    await this.registryProcess;
    for (const daemon of this.daemons) {
      daemon.kill('SIGTERM');
      await daemon;
    }
    const mounts = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[1] ?? '')
      .filter((path) => path.startsWith(this.dir))
      .sort()
      .reverse();
    for (const path of mounts) await execa('umount', ['-l', path], { reject: false });
    await this.bridge.remove(this.nodes);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private registryProcess: ResultPromise | undefined;

  private async startRegistry(): Promise<void> {
    const config = join(this.dir, 'registry.yml');
    const storage = join(this.dir, 'registry');
    writeFileSync(
      config,
      `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${storage}\nhttp:\n  addr: ${this.registry}\nlog:\n  level: warn\n`,
    );
    this.registryProcess = execa('docker-registry', ['serve', config], {
      reject: false,
      stdout: 'ignore',
      stderr: 'ignore',
    });
    await until(
      () => fetch(`http://${this.registry}/v2/`).then((answer) => answer.ok),
      `the registry at ${this.registry}`,
    );
  }

  private async startSshds(bin: string): Promise<void> {
    const clientKey = join(this.dir, 'client_key');
    await makeKey(clientKey);
    const options = this.nodes.map((node): SshdOptions => ({
      dir: join(this.dir, `${node.name}-ssh`),
      namespace: node.namespace,
      address: node.address,
      clientKey,
      // A home of its own, as each server of a lab has: what envctl syncs there is that node's alone.
      environment: [
        `PATH=${bin}:/usr/local/bin:/usr/bin:/bin`,
        `DOCKER_HOST=unix://${node.socket}`,
        `HOME=${this.homeOf(node.name)}`,
        `UNISON=${join(this.homeOf(node.name), '.unison')}`,
      ],
    }));
    for (const option of options) await prepareSshd(option);
    for (const node of this.nodes) mkdirSync(join(this.homeOf(node.name), '.unison'), { recursive: true });
    const knownHosts = join(this.dir, 'known_hosts');
    writeFileSync(knownHosts, options.map((option) => knownHostsLine(option, [option.address])).join(''));
    const hosts = this.nodes.map((node) => `Host ${node.name}\n  HostName ${node.address}\n`).join('');
    writeFileSync(
      this.sshConfig,
      `${hosts}Host *\n  IdentityFile ${clientKey}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${knownHosts}\n`,
    );
    for (const option of options) this.sshds.push(await startSshd(option, this.sshConfig));
  }

  private async startNode(node: SwarmCluster['nodes'][number], bin: string): Promise<void> {
    await this.bridge.attach(node);
    const config = join(this.dir, `${node.name}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        'node-generic-resources': node.gpus.map((gpu) => `NVIDIA-GPU=${gpu}`),
        // The lab's registry speaks plain HTTP, as a registry on a LAN often does: dockerd refuses one unless it
        // is listed here, on every node that pulls and on the manager that pushes (docs.docker.com/registry/insecure).
        'insecure-registries': [this.registry],
      }),
    );
    const dir = (name: string) => join(this.dir, `${node.name}-${name}`);
    const args = ['--config-file', config, '--data-root', dir('data'), '--exec-root', dir('exec')];
    args.push(
      '--pidfile',
      dir('pid'),
      '-H',
      `unix://${node.socket}`,
      // A default bridge of its own, in its namespace: BuildKit's RUN steps need one ("network bridge not found").
      '--iptables=false',
      '--ip-masq=false',
    );
    // Its own hostname (a UTS namespace): the swarm names nodes by it, and placement: names them so.
    const script = `hostname ${node.name} && exec dockerd ${args.join(' ')}`;
    const daemon = execa(
      'nsenter',
      [`--net=/var/run/netns/${node.namespace}`, 'unshare', '--uts', 'sh', '-c', script],
      {
        reject: false,
        stdout: 'ignore',
        stderr: 'ignore',
        env: { PATH: `${bin}:${process.env.PATH}` },
      },
    );
    this.daemons.push(daemon);
    const docker = new Docker({ socketPath: node.socket });
    await until(() => docker.ping().then(() => true), `${node.name}'s dockerd`);
  }
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what}: not within 60 s`);
}
