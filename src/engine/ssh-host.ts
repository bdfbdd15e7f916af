import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineError } from '../errors/envctl-error.js';
import { acceptsConnection } from '../util/accepts-connection.js';
import {
  attachChild,
  lineSplitter,
  type AttachedIo,
  type CommandResult,
  type StreamingHost,
} from '../util/host-commands.js';
import type { SshAddress } from './engine-target.js';
import { sshFailure } from './ssh-messages.js';
import { FIND_ENGINE_SCRIPT, forwardTarget, parseRemoteEngine, type RemoteEngine } from './remote-engine.js';

/** How long the shared connection outlives the last envctl that used it. */
const PERSIST_SECONDS = 60;

/** ENVCTL_SSH_COMMAND (like GIT_SSH_COMMAND): the ssh program and options, split at spaces; default `ssh`. */
export function sshCommandLine(env: NodeJS.ProcessEnv = process.env): string[] {
  const words = (env.ENVCTL_SSH_COMMAND ?? 'ssh').trim().split(/\s+/);
  return words.filter(Boolean);
}

export interface Tunnel {
  /** Ends the forwards; resolves once their listeners are gone. */
  stop(): Promise<void>;
  /** Resolves when the ssh process behind the forwards ends (an error says why, if it failed). */
  ended: Promise<string | undefined>;
}

/**
 * A server reached with the user's own OpenSSH client, so keys, the agent, ~/.ssh/config and known_hosts
 * work as they do for `ssh`: one multiplexed connection (ControlMaster) carries the engine's socket, the
 * probes' commands and unison; host keys are checked strictly (BatchMode: never a prompt, never accepted
 * silently). The port forwards to the laptop get a connection of their own, which lives as long as they do.
 */
export class SshHost implements StreamingHost {
  readonly destination: string;
  readonly hostName: string;
  readonly controlPath: string;
  private readonly ssh: string[];

  constructor(
    readonly address: SshAddress,
    sshCommand: string[] = sshCommandLine(),
  ) {
    this.ssh = sshCommand;
    this.hostName = address.host;
    this.destination = address.user ? `${address.user}@${address.host}` : address.host;
    // Unix socket paths are short (108 bytes): a folder per user under /tmp, a name per destination.
    const id = createHash('sha256')
      .update(`${this.ssh.join(' ')}|${this.destination}|${address.port ?? ''}`)
      .digest('hex')
      .slice(0, 16);
    this.controlPath = join(runtimeDir(), id);
  }

  get program(): string {
    return this.ssh[0]!;
  }

  /** The options every ssh run shares (after the program's name): strict keys, no prompts, the port. */
  commonOptions(): string[] {
    return [
      ...this.ssh.slice(1),
      ...['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', 'ConnectTimeout=10'],
      ...['-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=4'],
      ...(this.address.port ? ['-p', String(this.address.port)] : []),
    ];
  }

  /** Options of a command that rides the shared connection (and opens none of its own if it is gone). */
  clientOptions(): string[] {
    return [...this.commonOptions(), '-o', 'ControlMaster=no', '-o', `ControlPath=${this.controlPath}`];
  }

  private opened: Promise<void> | undefined;

  /**
   * Opens the shared connection unless one is open (asked once per command); an unknown or changed host key is
   * an error with its fingerprint.
   */
  connect(): Promise<void> {
    this.opened ??= this.open().catch((error: unknown) => {
      this.opened = undefined;
      throw error;
    });
    return this.opened;
  }

  private async open(): Promise<void> {
    if ((await this.control('check')).exitCode === 0) return;
    const dir = mkdtempSync(join(tmpdir(), 'envctl-ssh-'));
    const log = join(dir, 'stderr');
    const fd = openSync(log, 'w');
    try {
      // -f: ssh goes to the background once it is in, keeping the connection. Its stderr is a file, not a pipe
      // (the process that stays would hold a pipe open), and it is read only when ssh fails.
      const args = [...this.commonOptions(), '-v', '-f', '-N', '-o', 'ControlMaster=auto'];
      args.push('-o', `ControlPath=${this.controlPath}`, '-o', `ControlPersist=${PERSIST_SECONDS}`, this.destination);
      const child = spawn(this.program, args, { stdio: ['ignore', 'ignore', fd] });
      const exitCode = await new Promise<number | null>((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', resolve);
      });
      if (exitCode !== 0) {
        throw sshFailure(readFileSync(log, 'utf8'), { destination: this.destination, port: this.address.port });
      }
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') throw noSshClient(this.program);
      throw error;
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** The server's engine socket, forwarded to a local unix socket over the shared connection. */
  async engineSocket(): Promise<string> {
    await this.connect();
    const engine = await this.findEngine();
    const target = forwardTarget(engine, this.destination);
    const local = `${this.controlPath}.${createHash('sha256').update(target).digest('hex').slice(0, 8)}.sock`;
    const forward = ['-o', 'StreamLocalBindUnlink=yes', '-L', `${local}:${target}`];
    const result = await this.control('forward', forward);
    if (result.exitCode !== 0) {
      throw new EngineError(
        `Forwarding the Docker Engine's socket of ${this.destination} failed: ${result.stderr.trim() || `exit ${result.exitCode}`}.`,
        { hint: "The server's sshd must allow stream-local forwarding (AllowStreamLocalForwarding, on by default)." },
      );
    }
    return local;
  }

  private found: Promise<RemoteEngine> | undefined;

  /** The server's engine, found as its docker CLI finds it (remote-engine.ts); asked once per command. */
  findEngine(): Promise<RemoteEngine> {
    this.found ??= this.run(`sh -lc '${FIND_ENGINE_SCRIPT.replaceAll("'", "'\\''")}'`).then((result) => {
      if (result.exitCode !== 0)
        throw new EngineError(`Asking ${this.destination} where its Docker Engine is failed: ${result.stderr.trim()}`);
      return parseRemoteEngine(result.stdout);
    });
    return this.found;
  }

  async run(script: string, options: { timeoutMs?: number } = {}): Promise<CommandResult> {
    const { execa } = await import('execa');
    const result = await execa(this.program, [...this.clientOptions(), this.destination, script], {
      stdin: 'ignore',
      reject: false,
      timeout: options.timeoutMs ?? 30_000,
    });
    if (result.exitCode === 255) {
      throw sshFailure(String(result.stderr), { destination: this.destination, port: this.address.port });
    }
    return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
  }

  /** Runs `script` on the server with `input` as its standard input (`cat > file`): streams a file there. */
  async runWithInput(script: string, input: NodeJS.ReadableStream): Promise<CommandResult> {
    const { execa } = await import('execa');
    const child = execa(this.program, [...this.clientOptions(), this.destination, script], {
      stdin: 'pipe',
      reject: false,
    });
    input.pipe(child.stdin);
    const result = await child;
    if (result.exitCode === 255) {
      throw sshFailure(String(result.stderr), { destination: this.destination, port: this.address.port });
    }
    return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
  }

  /** Runs `script` on the server wired to `io`; with `tty`, on a terminal there (ssh -tt). */
  attach(script: string, io: AttachedIo, tty: boolean): Promise<number> {
    const args = [...this.clientOptions(), tty ? '-tt' : '-T', this.destination, script];
    return attachChild(spawn(this.program, args, { stdio: 'pipe' }), io);
  }

  /** Runs `script` on the server, each line of its output to `onLine`, until it ends or `stop`. */
  streamLines(script: string, onLine: (line: string) => void): { stop(): void; done: Promise<void> } {
    const child = spawn(this.program, [...this.clientOptions(), this.destination, script], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.stdout.on('data', lineSplitter(onLine));
    const done = new Promise<void>((resolve) => child.once('close', () => resolve()));
    return { stop: () => void child.kill('SIGTERM'), done };
  }

  /**
   * Forwards each laptop port to the server's (127.0.0.1 on both ends) over a connection of its own, which
   * ends with `stop()`, with envctl, or with the server.
   */
  async tunnel(forwards: ReadonlyArray<{ local: number; remote: number; remoteHost?: string }>): Promise<Tunnel> {
    const { execa } = await import('execa');
    const args = [...this.commonOptions(), '-N', '-o', 'ExitOnForwardFailure=yes', '-o', 'ControlPath=none'];
    for (const { local, remote, remoteHost } of forwards)
      args.push('-L', `127.0.0.1:${local}:${remoteHost ?? '127.0.0.1'}:${remote}`);
    const child = execa(this.program, [...args, this.destination], {
      stdin: 'ignore',
      stdout: 'ignore',
      reject: false,
    });
    const ended = child.then((result) =>
      result.isTerminated ? undefined : sshFailure(String(result.stderr), { destination: this.destination }).message,
    );
    const up = await Promise.race([waitForPorts(forwards.map((forward) => forward.local)), ended.then(() => false)]);
    if (!up) {
      const why = await ended;
      throw new EngineError(`The port forwards to ${this.destination} did not come up: ${why ?? 'ssh ended'}.`, {
        hint: 'A laptop port may have been taken just now: run the command again.',
      });
    }
    return {
      stop: async () => {
        child.kill('SIGTERM');
        await ended;
      },
      ended,
    };
  }

  /** `ssh -O <command>` on the shared connection. */
  private async control(command: string, extra: string[] = []): Promise<CommandResult> {
    const { execa } = await import('execa');
    const args = [
      ...this.commonOptions(),
      '-o',
      `ControlPath=${this.controlPath}`,
      ...extra,
      '-O',
      command,
      this.destination,
    ];
    const result = await execa(this.program, args, { stdin: 'ignore', reject: false, timeout: 15_000 });
    return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
  }
}

/** The folder of the shared connections' sockets: this user's alone, or another user could reach the engine. */
function runtimeDir(): string {
  const uid = process.getuid?.();
  const dir = join(tmpdir(), `envctl-ssh-${uid ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = statSync(dir);
  if ((uid !== undefined && stat.uid !== uid) || (stat.mode & 0o077) !== 0) {
    throw new EngineError(
      `${dir} is not yours alone (owner uid ${stat.uid}, mode ${(stat.mode & 0o777).toString(8)}).`,
      {
        hint: `It holds the sockets of your SSH connections and engines: remove it (rm -r ${dir}) and run envctl again.`,
      },
    );
  }
  return dir;
}

/** True once every port accepts a connection on 127.0.0.1; false after 15 s. */
async function waitForPorts(ports: number[]): Promise<boolean> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if ((await Promise.all(ports.map((port) => acceptsConnection(port)))).every(Boolean)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

function noSshClient(program: string): EngineError {
  return new EngineError(
    `The SSH client "${program}" is not installed on this machine; envctl reaches servers with it.`,
    {
      hint: "Install OpenSSH's client (sudo apt install openssh-client), or point ENVCTL_SSH_COMMAND at one.",
    },
  );
}
