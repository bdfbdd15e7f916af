import { posix } from 'node:path';
import type { ExecIo } from '../engine/engine.js';
import type { SlurmJob } from '../engine/slurm.js';
import { InputError } from '../errors/envctl-error.js';
import { LABEL } from '../model/labels.js';
import { runDirOf } from '../reconcile/slurm-desired.js';
import { shellQuote } from '../util/shell-quote.js';
import { projectFolders } from '../workspace/load.js';
import { pickOne, type ExecRequest } from './exec.js';
import { stateOf } from './slurm-rows.js';
import type { SlurmSite } from './slurm-site.js';

/**
 * envctl exec and shell on a Slurm cluster: the command runs in the target's container inside its project's
 * running job (srun --overlap, on the job's node, with its GPUs), through the service's exec script that the
 * job's submission wrote beside it; a terminal of its own for a shell (srun --pty, ssh -tt).
 */
export async function slurmExec(
  site: SlurmSite,
  jobs: readonly SlurmJob[],
  root: string,
  request: ExecRequest,
  io: ExecIo,
): Promise<number> {
  const services: Array<{ labels: Record<string, string>; job: SlurmJob; file: string }> = [];
  for (const job of jobs) {
    const project = job.name.slice(site.prefix.length);
    const dir = runDirOf(site.root, project);
    const listed = await site.host.run(`cd ${shellQuote(dir)} 2>/dev/null && ls -1 *.exec`);
    for (const file of listed.stdout.split('\n').filter(Boolean)) {
      const labels = { [LABEL.project]: project, [LABEL.service]: file.slice(0, -'.exec'.length) };
      services.push({ labels, job, file: posix.join(dir, file) });
    }
  }
  const { job, file, labels } = pickOne(services, request.target, projectFolders(root));
  if (job.state !== 'RUNNING') {
    const project = labels[LABEL.project]!;
    throw new InputError(`Project "${project}" is not running: its job ${job.id} is ${stateOf(job)}.`, {
      hint: `See where it stands with "envctl ps"; submit it with "envctl up -d ${project}".`,
    });
  }
  const srun = `srun --overlap --jobid=${job.id}${request.tty ? ' --pty' : ''} --quiet`;
  const script = `${srun} bash ${shellQuote(file)} ${request.cmd.map(shellQuote).join(' ')}`;
  return site.host.attach(script, io, request.tty);
}
