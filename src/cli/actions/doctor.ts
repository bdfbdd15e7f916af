import { ExitCode } from '../../errors/envctl-error.js';
import { doctorChecks, type Check } from '../../pipeline/doctor.js';
import type { GlobalOptions } from '../context.js';
import { printJson } from '../output.js';
import { color } from '../terminal.js';

/** envctl doctor: each thing envctl needs, whether it has it, and the fix; non-zero when up could not work. */
export async function doctorAction(globals: GlobalOptions, options: { json?: boolean }): Promise<void> {
  const checks = await doctorChecks(globals.workspace, globals.engine);
  if (options.json) printJson(checks);
  else for (const check of checks) process.stdout.write(formatCheck(check));
  if (checks.some((check) => check.status === 'fail')) process.exitCode = ExitCode.checkFailed;
}

function formatCheck(check: Check): string {
  const mark = check.status === 'ok' ? color.green('✔') : check.status === 'warn' ? color.yellow('!') : color.red('✖');
  return `${mark} ${check.name}: ${check.detail}\n${check.fix && check.status !== 'ok' ? `    fix: ${check.fix}\n` : ''}`;
}
