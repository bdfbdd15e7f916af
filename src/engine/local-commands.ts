import { hostname } from 'node:os';
import { spawn } from 'node:child_process';
import {
  attachChild,
  lineSplitter,
  type AttachedIo,
  type CommandResult,
  type StreamingHost,
} from '../util/host-commands.js';

/** This machine's shell, for a cluster whose login node it is (engine: slurm): what SshHost is for a remote one. */
export class LocalCommands implements StreamingHost {
  readonly hostName = hostname();

  async run(script: string, options: { timeoutMs?: number } = {}): Promise<CommandResult> {
    const { execa } = await import('execa');
    const result = await execa('sh', ['-c', script], {
      stdin: 'ignore',
      reject: false,
      timeout: options.timeoutMs ?? 30_000,
    });
    return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
  }

  async runWithInput(script: string, input: NodeJS.ReadableStream): Promise<CommandResult> {
    const { execa } = await import('execa');
    const child = execa('sh', ['-c', script], { stdin: 'pipe', reject: false });
    input.pipe(child.stdin);
    const result = await child;
    return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
  }

  attach(script: string, io: AttachedIo): Promise<number> {
    return attachChild(spawn('sh', ['-c', script], { stdio: 'pipe' }), io);
  }

  streamLines(script: string, onLine: (line: string) => void): { stop(): void; done: Promise<void> } {
    const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.on('data', lineSplitter(onLine));
    const done = new Promise<void>((resolve) => child.once('close', () => resolve()));
    return { stop: () => void child.kill('SIGTERM'), done };
  }
}
