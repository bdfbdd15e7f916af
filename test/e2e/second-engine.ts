import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import Docker from 'dockerode';

/**
 * A second Docker Engine of the tests' own, on a socket of its own (own data root, exec root and pid file),
 * so a test can stop and start it without touching the engine the other tests use. No bridge of its own and
 * no iptables rules: user-defined networks work, and published ports go through docker-proxy.
 */
export class SecondEngine {
  readonly dir = mkdtempSync('/tmp/envctl-eng-');
  readonly socket = join(this.dir, 'docker.sock');
  readonly host = `unix://${this.socket}`;
  readonly docker = new Docker({ socketPath: this.socket });
  private process: ResultPromise | undefined;

  async start(): Promise<void> {
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    this.process = execa('dockerd', [
      '--data-root', join(this.dir, 'data'),
      '--exec-root', join(this.dir, 'exec'),
      '--pidfile', join(this.dir, 'docker.pid'),
      '-H', this.host,
      '--bridge', 'none',
      '--iptables=false',
      '--ip-masq=false',
    ], { reject: false, stdout: 'ignore', stderr: 'ignore' });
    for (let i = 0; i < 150; i++) {
      if (await this.docker.ping().then(() => true, () => false)) return;
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

  /** Copies an image from the tests' main engine (no registry is reachable). */
  async loadFrom(image: string): Promise<void> {
    await execa('sh', ['-c', `docker save ${image} | docker -H ${this.host} load`]);
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
