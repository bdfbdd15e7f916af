import type { ChildProcess } from 'node:child_process';

/** What a command run on a host printed and how it ended. */
export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs shell commands on a host (a remote one over SSH): what remote probes and sync stand on. */
export interface HostCommands {
  /** The host, as messages name it. */
  readonly hostName: string;
  run(script: string, options?: { timeoutMs?: number }): Promise<CommandResult>;
}

/** A host whose commands can also stream: files carried there on stdin, output read line by line as it comes. */
export interface StreamingHost extends HostCommands {
  runWithInput(script: string, input: NodeJS.ReadableStream): Promise<CommandResult>;
  /** Runs `script`, each line of its output to `onLine`, until it ends or `stop`. */
  streamLines(script: string, onLine: (line: string) => void): { stop(): void; done: Promise<void> };
  /** Runs `script` wired to `io` (a terminal of its own with `tty`); resolves to its exit status. */
  attach(script: string, io: AttachedIo, tty: boolean): Promise<number>;
}

/** Where an attached command reads and writes: the user's terminal. */
export interface AttachedIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Wires a child's streams to `io` (stdin only when it reads one) and resolves to its exit status. */
export function attachChild(child: ChildProcess, io: AttachedIo): Promise<number> {
  if (child.stdin) io.stdin.pipe(child.stdin);
  child.stdout?.pipe(io.stdout, { end: false });
  child.stderr?.pipe(io.stderr, { end: false });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (child.stdin) io.stdin.unpipe(child.stdin);
      resolve(code ?? 1);
    });
  });
}

/** Splits a child's output into lines for streamLines. */
export function lineSplitter(onLine: (line: string) => void): (chunk: Buffer | string) => void {
  let rest = '';
  return (chunk) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  };
}
