/** Where in the user's files an error was found. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

export const ExitCode = {
  ok: 0,
  internal: 1,
  /** envctl doctor: a check failed, so up could not work. */
  checkFailed: 1,
  badInput: 2,
  engine: 3,
  conflict: 4,
  /** Stopped by Ctrl+C (128 + SIGINT), as a shell reports it. */
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The one error family envctl raises on purpose. Only the CLI prints it and exits,
 * so every part of the pipeline can throw without knowing how it is shown.
 */
export class EnvctlError extends Error {
  readonly hint: string | undefined;
  readonly location: SourceLocation | undefined;
  readonly exitCode: ExitCodeValue;

  constructor(
    message: string,
    options: { hint?: string; location?: SourceLocation; exitCode?: ExitCodeValue; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
    this.location = options.location;
    this.exitCode = options.exitCode ?? ExitCode.internal;
  }
}

/** The user's files say something envctl cannot accept: exit status 2, nothing started or written. */
export class InputError extends EnvctlError {
  constructor(message: string, options: { hint?: string; location?: SourceLocation; cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.badInput });
  }
}

/** A resource (port range, address range, GPUs) has no room left for what was asked. */
export class ExhaustedError extends EnvctlError {
  constructor(message: string, options: { hint?: string; location?: SourceLocation } = {}) {
    super(message, { ...options, exitCode: ExitCode.conflict });
  }
}

/** The Docker Engine failed or could not be reached. */
export class EngineError extends EnvctlError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.engine });
  }
}

export function formatLocation(location: SourceLocation): string {
  let text = location.file;
  if (location.line !== undefined) text += `:${location.line}`;
  if (location.line !== undefined && location.column !== undefined) text += `:${location.column}`;
  return text;
}
