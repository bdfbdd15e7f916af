import { EnvctlError, ExitCode, formatLocation } from '../errors/envctl-error.js';
import { stderrColor } from './terminal.js';

/** One paragraph: what is wrong (with file and line), then what to do. */
export function formatError(error: unknown): { text: string; exitCode: number } {
  if (error instanceof EnvctlError) {
    const where =
      error.location && !error.message.includes(error.location.file) ? `${formatLocation(error.location)}: ` : '';
    const hint = error.hint ? `\n  ${error.hint}` : '';
    return { text: `${stderrColor.red('error:')} ${where}${error.message}${hint}\n`, exitCode: error.exitCode };
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return {
    text: `${stderrColor.red('internal error:')} ${message}\n  This is a bug in envctl; please report it.\n`,
    exitCode: ExitCode.internal,
  };
}
