import { LIVE_STATES, type SlurmJob } from '../engine/slurm.js';
import { JOB_COMMENT_PREFIX } from './slurm-script.js';

/** A project's job as which-project wants it: its name and the hash of what it runs. */
export interface DesiredJob {
  project: string;
  jobName: string;
  hash: string;
}

export interface SlurmPlan<T extends DesiredJob> {
  /** No live job, or one of an older version (cancelled first), or one that ended (its time limit, a failure). */
  submit: Array<{ job: T; replacing: SlurmJob | undefined; reason: string }>;
  /** A live job of this very version: left alone. */
  keep: Array<{ job: T; running: SlurmJob }>;
  /** Live jobs of the workspace whose project is no longer listed (within `only`, when given). */
  cancel: Array<{ job: SlurmJob; project: string }>;
}

/**
 * Pure: which-project is the desired state. A listed project has one live job of its current version: one of
 * another version is cancelled and submitted again, one that ended is submitted again; the workspace's jobs
 * whose project is not listed are cancelled. `prefix` names the workspace's jobs ("envctl-<id>-").
 */
export function planSlurm<T extends DesiredJob>(
  desired: readonly T[],
  jobs: readonly SlurmJob[],
  prefix: string,
  only?: ReadonlySet<string>,
): SlurmPlan<T> {
  const live = jobs.filter((job) => LIVE_STATES.has(job.state) && job.name.startsWith(prefix));
  const plan: SlurmPlan<T> = { submit: [], keep: [], cancel: [] };
  for (const job of desired.filter((wanted) => !only || only.has(wanted.project))) {
    const found = live.find((candidate) => candidate.name === job.jobName);
    const ended = jobs.find((candidate) => candidate.name === job.jobName && !LIVE_STATES.has(candidate.state));
    if (found && found.comment === `${JOB_COMMENT_PREFIX}${job.hash}`) plan.keep.push({ job, running: found });
    else if (found) plan.submit.push({ job, replacing: found, reason: 'what it runs changed' });
    else
      plan.submit.push({
        job,
        replacing: undefined,
        reason: ended ? `its last job ended (${endedWhy(ended)})` : 'which-project lists it and it has no job',
      });
  }
  const wanted = new Set(desired.map((job) => job.jobName));
  for (const job of live.filter((candidate) => !wanted.has(candidate.name))) {
    const project = job.name.slice(prefix.length);
    if (!only || only.has(project)) plan.cancel.push({ job, project });
  }
  return plan;
}

/** "TIMEOUT", "FAILED", "CANCELLED": said the way ps says it. */
export function endedWhy(job: SlurmJob): string {
  if (job.state === 'TIMEOUT') return 'ended by its time limit';
  return job.reason ? `${job.state.toLowerCase()}: ${job.reason}` : job.state.toLowerCase();
}
