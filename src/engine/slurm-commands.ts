import { EngineError } from '../errors/envctl-error.js';
import type { StreamingHost } from '../util/host-commands.js';
import { shellQuote } from '../util/shell-quote.js';
import type { Slurm, SlurmJob } from './slurm.js';

/** squeue's columns, '|'-separated: id, name, state, reason, node, GPUs (TRES per node), comment. */
const SQUEUE_FORMAT = '%i|%j|%T|%r|%N|%b|%k';

/**
 * Slurm through its commands (squeue, sbatch, scancel) on the login node, as a user runs them; the only code
 * that reads what they print.
 */
export class SlurmCommands implements Slurm {
  readonly hostName: string;

  constructor(readonly host: StreamingHost) {
    this.hostName = host.hostName;
  }

  async jobs(): Promise<SlurmJob[]> {
    const result = await this.host.run(`squeue --noheader --states=all --me --format=${shellQuote(SQUEUE_FORMAT)}`);
    if (result.exitCode !== 0) throw this.failed('squeue', result.stderr);
    return parseSqueue(result.stdout);
  }

  async submit(scriptPath: string): Promise<string> {
    const result = await this.host.run(`sbatch --parsable ${shellQuote(scriptPath)}`);
    if (result.exitCode !== 0) throw this.failed('sbatch', result.stderr);
    // --parsable prints "id" or "id;cluster".
    return result.stdout.trim().split(';')[0]!;
  }

  async cancel(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const result = await this.host.run(`scancel ${ids.map(shellQuote).join(' ')}`);
    if (result.exitCode !== 0) throw this.failed('scancel', result.stderr);
  }

  private failed(command: string, stderr: string): EngineError {
    const said = stderr.trim().replace(/^\w+: error: /, '');
    return new EngineError(`${command} on ${this.hostName} failed: ${said || 'no reason given'}.`, {
      hint: `Run "${command}" on ${this.hostName} by hand to see more; "envctl doctor" checks what the cluster needs.`,
    });
  }
}

/** squeue's rows (SQUEUE_FORMAT) as jobs. */
export function parseSqueue(text: string): SlurmJob[] {
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const [id = '', name = '', state = '', reason = '', node = '', tres = '', ...comment] = line.split('|');
      return {
        id: id.trim(),
        name,
        // "CANCELLED by 0" is said as CANCELLED.
        state: state.split(' ')[0]!,
        reason: reason === 'None' || reason === '' ? undefined : reason,
        node: node === '' || node === 'n/a' || node.startsWith('(') ? undefined : node,
        gpus: gpusOf(tres),
        comment: comment.join('|'),
      };
    });
}

/** "gres:gpu:2", "gres/gpu:a100:2", "gres:gpu" (one): how many GPUs. */
function gpusOf(tres: string): number {
  const found = /gpu(?::[\w-]+)*?(?::(\d+))?(?:,|$)/.exec(tres);
  if (!found) return 0;
  return found[1] === undefined ? 1 : Number(found[1]);
}
