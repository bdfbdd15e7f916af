import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import Docker from 'dockerode';
import { unmountUnder } from '../support/mounts.js';

/**
 * A second Docker Engine of the tests' own, in a network namespace of its own (as a second host would be) and
 * on a socket of its own (own data root, exec root and pid file), so a test can stop and start it without
 * touching the engine the other tests use: its bridges and routes stay out of the host's (a dockerd started
 * beside the first one, in the same namespace, removed the first one's docker0). No iptables rules: published
 * ports go through docker-proxy, on the namespace's own loopback (reach them with `fetch`; Debian's static
 * busybox wget crashes).
 */
export class SecondEngine {
  readonly dir = mkdtempSync('/tmp/envctl-eng-');
  readonly namespace = `envctl-e2e-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  readonly socket = join(this.dir, 'docker.sock');
  readonly host = `unix://${this.socket}`;
  readonly docker = new Docker({ socketPath: this.socket });
  private process: ResultPromise | undefined;

  /** bridge: a default bridge of its own, inside its namespace, for what needs one (BuildKit's RUN steps). */
  async start({ bridge = false } = {}): Promise<void> {
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    if (!(await execa('ip', ['netns', 'list'])).stdout.includes(this.namespace)) {
      await execa('ip', ['netns', 'add', this.namespace]);
      await this.inside(['ip', 'link', 'set', 'lo', 'up']);
    }
    // nsenter, not `ip netns exec`: that one remounts /sys, and dockerd then finds no cgroups.
    this.process = execa(
      'nsenter',
      [
        `--net=/var/run/netns/${this.namespace}`,
        'dockerd',
        '--data-root',
        join(this.dir, 'data'),
        '--exec-root',
        join(this.dir, 'exec'),
        '--pidfile',
        join(this.dir, 'docker.pid'),
        '-H',
        this.host,
        ...(bridge ? [] : ['--bridge', 'none']),
        '--iptables=false',
        '--ip-masq=false',
      ],
      { reject: false, stdout: 'ignore', stderr: 'ignore' },
    );
    for (let i = 0; i < 150; i++) {
      if (
        await this.docker.ping().then(
          () => true,
          () => false,
        )
      )
        return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error('the second dockerd did not answer within 30 s');
  }

  async stop(): Promise<void> {
    if (!this.process) return;
    this.process.kill('SIGTERM');
    await this.process;
    this.process = undefined;
  }

  /** A command run in the engine's network namespace. */
  inside(command: string[]) {
    return execa('nsenter', [`--net=/var/run/netns/${this.namespace}`, ...command]);
  }

  /** An HTTP GET from inside the namespace (Node's fetch there), retried until it answers or `timeoutMs` passes. */
  async fetch(url: string, timeoutMs = 30_000): Promise<string> {
    const script =
      `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(2000) }).then((r) => r.text()).then((t) => process.stdout.write(t), () ` +
      `=> process.exit(1))`;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = await this.inside(['node', '-e', script]).catch(
        (error: { stdout?: string; exitCode?: number }) => error,
      );
      if (result.exitCode === 0) return String(result.stdout);
      if (Date.now() > deadline) throw new Error(`no answer from ${url} in the namespace ${this.namespace}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Copies an image from the tests' main engine (no registry is reachable). */
  async loadFrom(image: string): Promise<void> {
    await execa('sh', ['-c', `docker save ${image} | docker -H ${this.host} load`]);
  }

  async remove(): Promise<void> {
    await this.stop();
    await execa('ip', ['netns', 'delete', this.namespace], { reject: false });
    await unmountUnder(this.dir);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
