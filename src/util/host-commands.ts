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
