import type { StreamingHost } from '../util/host-commands.js';

/** A job as Slurm reports it. */
export interface SlurmJob {
  id: string;
  name: string;
  /** PENDING, RUNNING, COMPLETED, TIMEOUT, CANCELLED, FAILED, ... (Slurm's own words). */
  state: string;
  /** Why it waits or ended: "Resources", "Priority", "TimeLimit"; undefined for "None". */
  reason: string | undefined;
  /** The node it runs on (or ran on); undefined while pending. */
  node: string | undefined;
  /** GPUs given (or asked for while pending). */
  gpus: number;
  /** The --comment envctl submitted it with: "envctl:<hash>" says which version of the project it runs. */
  comment: string;
}

/** What envctl asks of a Slurm cluster, through its login node (or this machine, when it is one). */
export interface Slurm {
  /** The login node, as messages name it. */
  readonly hostName: string;
  /** Shell commands on the login node: the shared folder is read and written through them. */
  readonly host: StreamingHost;
  /** The user's jobs Slurm still knows: pending and running ones, and those ended a little while ago. */
  jobs(): Promise<SlurmJob[]>;
  /** Submits a batch script already on the shared folder; the job's id. */
  submit(scriptPath: string): Promise<string>;
  cancel(ids: readonly string[]): Promise<void>;
}

/** Slurm's job states that still hold (or wait for) resources: a job in one of them is the project's. */
export const LIVE_STATES: ReadonlySet<string> = new Set([
  'PENDING',
  'CONFIGURING',
  'RUNNING',
  'COMPLETING',
  'RESIZING',
  'REQUEUED',
  'SUSPENDED',
]);
