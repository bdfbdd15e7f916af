import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import Docker from 'dockerode';
import { REPO } from '../support/workspace.js';
import { unmountUnder } from '../support/mounts.js';
import { knownHostsLine, makeKey, prepareSshd, startSshd, type RunningSshd, type SshdOptions } from './sshd.js';

/**
 * A "remote GPU server" on this machine: a network namespace with an address of its own (a veth pair), its own
 * dockerd (own data root, exec root, socket; the stand-in NVIDIA hook on its PATH) and its own sshd, reachable
 * only over SSH. Its engine is not on the default socket: as with a rootless Docker or Podman's socket, the
 * sessions' DOCKER_HOST names it (the authorized key's environment= options), and sshd runs in a mount namespace
 * of its own where /var/run/docker.sock is an empty file, so that nothing reaches this machine's engine by
 * mistake. The facts this stands in for: rootless Docker listens on $XDG_RUNTIME_DIR/docker.sock, not on
 * /var/run/docker.sock, and its client is pointed there by DOCKER_HOST=unix://$XDG_RUNTIME_DIR/docker.sock or by
 * the docker context "rootless" that its setup tool creates (docs.docker.com/engine/security/rootless/;
 * moby/moby contrib/dockerd-rootless-setuptool.sh, CLI_CONTEXT="rootless"); Podman's Docker-compatible socket
 * is likewise elsewhere (/run/podman/podman.sock, /run/user/$UID/podman/podman.sock).
 * The sessions get the stand-in nvidia-smi on their PATH (NVIDIA_SMI_MACHINE picks the recording).
 * The laptop's ssh reads `sshConfig` (ENVCTL_SSH_COMMAND="ssh -F ...").
 */
export class RemoteHost {
  readonly dir = mkdtempSync('/tmp/envctl-remote-');
  private readonly tag = `${process.pid % 10000}${Math.floor(Math.random() * 100)}`;
  readonly namespace = `envctl-rh-${this.tag}`;
  private readonly hostLink = `erh${this.tag}`;
  private readonly peerLink = `erp${this.tag}`;
  private readonly octet = 1 + (Number(this.tag) % 250);
  readonly address = `10.250.${this.octet}.2`;
  readonly socket = join(this.dir, 'docker.sock');
  readonly docker = new Docker({ socketPath: this.socket });
  readonly sshConfig = join(this.dir, 'ssh_config');
  readonly knownHosts = join(this.dir, 'known_hosts');
  readonly remoteRoot = join(this.dir, 'server-home', 'envctl');
  private dockerd: ResultPromise | undefined;
  private sshdProcess: RunningSshd | undefined;

  constructor(private readonly gpus: string | undefined = undefined) {}

  /** ENVCTL_SSH_COMMAND for envctl: the laptop's ssh with this host's key and known_hosts. */
  get sshCommand(): string {
    return `ssh -F ${this.sshConfig}`;
  }

  get engineUrl(): string {
    return `ssh://root@${this.address}`;
  }

  async start(): Promise<void> {
    await this.network();
    await this.keys();
    await this.startDockerd();
    await this.startSshd();
  }

  /** The host key's SHA256 fingerprint, as `ssh-keygen -lf` prints it. */
  async hostKeyFingerprint(): Promise<string> {
    const { stdout } = await execa('ssh-keygen', ['-lf', join(this.dir, 'host_key.pub')]);
    return stdout.split(' ')[1]!;
  }

  /** Forgets (or trusts again) the host key on the laptop's side. */
  trustHostKey(trusted: boolean): void {
    writeFileSync(this.knownHosts, trusted ? knownHostsLine(this.sshd, [this.address]) : '');
  }

  /** A command in the server's network namespace. */
  inside(command: string[]) {
    return execa('nsenter', [`--net=/var/run/netns/${this.namespace}`, ...command]);
  }

  /** A server process holding a TCP port, listening once this resolves, until the function returned is called. */
  async holdPort(port: number): Promise<() => void> {
    const script = `require('net').createServer().listen(${port}, '0.0.0.0')`;
    const child = execa('nsenter', [`--net=/var/run/netns/${this.namespace}`, 'node', '-e', script], { reject: false });
    const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
    await until(async () => {
      const { stdout } = await this.inside(['cat', '/proc/net/tcp']);
      return stdout.split('\n').some((line) => line.includes(hex) && line.includes(' 0A '));
    }, `the process holding port ${port}`);
    return () => child.kill('SIGKILL');
  }

  /** Copies an image from the tests' main engine (no registry is reachable). */
  async loadFrom(image: string): Promise<void> {
    await execa('sh', ['-c', `docker save ${image} | docker -H unix://${this.socket} load`]);
  }

  async remove(): Promise<void> {
    await this.sshdProcess?.stop();
    this.dockerd?.kill('SIGTERM');
    await this.dockerd;
    await execa('ip', ['netns', 'delete', this.namespace], { reject: false });
    await execa('ip', ['link', 'delete', this.hostLink], { reject: false });
    await unmountUnder(this.dir);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async network(): Promise<void> {
    await execa('ip', ['netns', 'add', this.namespace]);
    await this.inside(['ip', 'link', 'set', 'lo', 'up']);
    await execa('ip', ['link', 'add', this.hostLink, 'type', 'veth', 'peer', 'name', this.peerLink]);
    await execa('ip', ['link', 'set', this.peerLink, 'netns', this.namespace]);
    await execa('ip', ['addr', 'add', `10.250.${this.octet}.1/30`, 'dev', this.hostLink]);
    await execa('ip', ['link', 'set', this.hostLink, 'up']);
    await this.inside(['ip', 'addr', 'add', `${this.address}/30`, 'dev', this.peerLink]);
    await this.inside(['ip', 'link', 'set', this.peerLink, 'up']);
  }

  private get sshd(): SshdOptions {
    const bin = join(this.dir, 'bin');
    const path = [bin, ...(this.gpus ? [join(REPO, 'test', 'fixtures', 'bin')] : []), '/usr/local/bin:/usr/bin:/bin'];
    const environment = [
      `PATH=${path.join(':')}`,
      `UNISON=${join(this.dir, 'server-unison')}`,
      `DOCKER_HOST=unix://${this.socket}`,
      ...(this.gpus ? [`NVIDIA_SMI_MACHINE=${this.gpus}`] : []),
    ];
    return {
      dir: this.dir,
      namespace: this.namespace,
      address: this.address,
      clientKey: join(this.dir, 'client_key'),
      environment,
    };
  }

  private async keys(): Promise<void> {
    await makeKey(join(this.dir, 'client_key'));
    const bin = join(this.dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'nvidia-container-runtime-hook'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(bin, 'nvidia-container-runtime-hook'), 0o755);
    await prepareSshd(this.sshd);
    writeFileSync(
      this.sshConfig,
      `Host *\n  IdentityFile ${join(this.dir, 'client_key')}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${this.knownHosts}\n`,
    );
    this.trustHostKey(true);
  }

  private async startDockerd(): Promise<void> {
    const args = ['--data-root', join(this.dir, 'data'), '--exec-root', join(this.dir, 'exec')];
    args.push('--pidfile', join(this.dir, 'docker.pid'), '-H', `unix://${this.socket}`);
    // A default bridge of its own, in its namespace: BuildKit's RUN steps need one ("network bridge not found").
    args.push('--iptables=false', '--ip-masq=false');
    // nsenter, not `ip netns exec`: that one remounts /sys, and dockerd then finds no cgroups.
    this.dockerd = execa('nsenter', [`--net=/var/run/netns/${this.namespace}`, 'dockerd', ...args], {
      reject: false,
      stdout: 'ignore',
      stderr: 'ignore',
      env: { PATH: `${join(this.dir, 'bin')}:${process.env.PATH}` },
    });
    await until(() => this.docker.ping().then(() => true), "the server's dockerd");
  }

  private async startSshd(): Promise<void> {
    this.sshdProcess = await startSshd(this.sshd, this.sshConfig);
  }
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} did not answer within 30 s`);
}
