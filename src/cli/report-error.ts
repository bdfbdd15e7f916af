import { EnvctlError, ExitCode, formatLocation } from '../errors/envctl-error.js';
import { fileSystemRefusal } from '../errors/system-error.js';
import { stderrColor } from './terminal.js';

/** One paragraph: what is wrong (with file and line), then what to do. */
export function formatError(thrown: unknown): { text: string; exitCode: number } {
  const error = fileSystemRefusal(thrown) ?? thrown;
  if (error instanceof EnvctlError) {
    const where =
      error.location && !error.message.includes(error.location.file) ? `${formatLocation(error.location)}: ` : '';
    const hint = error.hint ? `\n  ${error.hint}` : '';
    return { text: `${stderrColor.red('error:')} ${where}${error.message}${hint}\n`, exitCode: error.exitCode };
  }
  // The stack is for whoever debugs envctl: ENVCTL_DEBUG=1 shows it.
  const debug = process.env.ENVCTL_DEBUG === '1';
  const message = error instanceof Error ? ((debug ? error.stack : undefined) ?? error.message) : String(error);
  const more = debug ? '' : ' (ENVCTL_DEBUG=1 shows where it happened)';
  return {
    text: `${stderrColor.red('internal error:')} ${message}\n  This is a bug in envctl; please report it${more}.\n`,
    exitCode: ExitCode.internal,
  };
}
