import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';

/**
 * An OpenSSH server in a network namespace of this machine, for the test servers and swarm nodes: its own host
 * key, one client key allowed in, the sessions' environment set by the authorized key (DOCKER_HOST names the
 * namespace's engine, as for a rootless Docker), and /var/run/docker.sock hidden from its sessions (an empty
 * file bound over it in a mount namespace of its own), so nothing reaches this machine's engine by mistake.
 */
export interface SshdOptions {
  /** Where its files go (host_key, authorized_keys, sshd_config, sshd.pid). */
  dir: string;
  namespace: string;
  address: string;
  /** The client key file allowed in (its .pub beside it). */
  clientKey: string;
  /** NAME=value lines each session gets. */
  environment: string[];
  /** Files bound over this machine's in the sshd's mount namespace (a cluster's /etc/hosts). */
  binds?: Array<{ source: string; target: string }>;
}

/** An ed25519 key pair without a passphrase, at `path` and `path`.pub. */
export async function makeKey(path: string): Promise<void> {
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path]);
}

/** The known_hosts line that trusts this server's host key under each of `names`. */
export function knownHostsLine(options: SshdOptions, names: readonly string[]): string {
  const key = readFileSync(join(options.dir, 'host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  return `${names.join(',')} ${key}\n`;
}

/** Writes its keys and configuration; then startSshd. */
export async function prepareSshd(options: SshdOptions): Promise<void> {
  mkdirSync(options.dir, { recursive: true });
  await makeKey(join(options.dir, 'host_key'));
  const environment = options.environment.map((entry) => `environment="${entry}"`).join(',');
  writeFileSync(
    join(options.dir, 'authorized_keys'),
    `${environment} ${readFileSync(`${options.clientKey}.pub`, 'utf8')}`,
  );
  writeFileSync(
    join(options.dir, 'sshd_config'),
    [
      `ListenAddress ${options.address}`,
      `HostKey ${join(options.dir, 'host_key')}`,
      `PidFile ${join(options.dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(options.dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'PermitUserEnvironment yes',
      'StrictModes no',
      'UsePAM no',
      // A swarm test opens a few connections per node at once (engine, sync, forwards).
      'MaxStartups 50',
      'MaxSessions 50',
      '',
    ].join('\n'),
  );
}

/** A started sshd; a plain object, since a subprocess is a promise and an async function would wait for it. */
export interface RunningSshd {
  stop(): Promise<void>;
}

/** Starts sshd; resolves once `ssh -F sshConfig root@<address> true` gets in. */
export async function startSshd(options: SshdOptions, sshConfig: string): Promise<RunningSshd> {
  mkdirSync('/run/sshd', { recursive: true });
  const hidden = join(options.dir, 'not-the-engine');
  writeFileSync(hidden, '');
  const config = join(options.dir, 'sshd_config');
  const binds = (options.binds ?? []).map(({ source, target }) => `mount --bind ${source} ${target} && `).join('');
  const script = `mount --bind ${hidden} /var/run/docker.sock && ${binds}exec /usr/sbin/sshd -D -e -f ${config}`;
  const sshd = execa(
    'nsenter',
    [`--net=/var/run/netns/${options.namespace}`, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', script],
    { reject: false, stdout: 'ignore', stderr: 'ignore' },
  );
  await until(
    () => execa('ssh', ['-F', sshConfig, '-o', 'BatchMode=yes', `root@${options.address}`, 'true']).then(() => true),
    `the sshd at ${options.address}`,
  );
  return { stop: () => stopped(sshd) };
}

async function stopped(process: ResultPromise): Promise<void> {
  process.kill('SIGTERM');
  await process;
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} did not answer within 30 s`);
}
