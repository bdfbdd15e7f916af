import { LIVE_STATES, type SlurmJob } from '../engine/slurm.js';
import { endedWhy } from '../reconcile/slurm-plan.js';

/** A row of envctl ps on a Slurm cluster: a project's job. */
export interface SlurmRow {
  project: string;
  job: string;
  /** Slurm's state, said as ps says it: "running", "pending (Resources)", "ended by its time limit". */
  state: string;
  node: string | null;
  gpus: number;
  /** Each published port on the job's node. */
  urls: string[];
}

/** Each project's latest job: a live one, else the last that ended (Slurm forgets those after a while). */
export function latestJobs(jobs: readonly SlurmJob[], prefix: string): SlurmJob[] {
  const byName = new Map<string, SlurmJob>();
  for (const job of jobs.filter((candidate) => candidate.name.startsWith(prefix))) {
    const known = byName.get(job.name);
    const newer = !known || Number(job.id) > Number(known.id);
    if (
      !known ||
      (LIVE_STATES.has(job.state) && !LIVE_STATES.has(known.state)) ||
      (newer && !LIVE_STATES.has(known.state))
    )
      byName.set(job.name, job);
  }
  return [...byName.values()];
}

/** "running", "pending (Resources)", "ended by its time limit", "failed: NonZeroExitCode". */
export function stateOf(job: SlurmJob): string {
  if (job.state === 'PENDING') return `pending (${job.reason ?? 'queued'})`;
  if (LIVE_STATES.has(job.state)) return job.state.toLowerCase();
  return endedWhy(job);
}
