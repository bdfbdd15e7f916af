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
