import { posix } from 'node:path';
import type { LogOptions, LogStream } from '../engine/engine.js';
import type { SlurmJob } from '../engine/slurm.js';
import { LABEL } from '../model/labels.js';
import { runDirOf } from '../reconcile/slurm-desired.js';
import { shellQuote } from '../util/shell-quote.js';
import { pickContainers, streamEach, type LinePrinter } from './logs.js';
import type { SlurmSite } from './slurm-site.js';

/** One service's output in one job: the log file the batch script writes it to (its id). */
export interface ServiceLog {
  id: string;
  labels: Record<string, string>;
}

/**
 * envctl logs on a Slurm cluster: each picked service's output in its project's latest job, read from the
 * shared folder through the login node (with -f, followed as the job writes it).
 */
export async function slurmLogs(
  site: SlurmSite,
  jobs: readonly SlurmJob[],
  targets: readonly string[],
  options: LogOptions,
  printer: LinePrinter,
): Promise<LogStream[]> {
  const picked = pickContainers(await serviceLogs(site, jobs), targets);
  return streamEach(picked, (log, onLine) => Promise.resolve(tailLog(site, log.id, options, onLine)), printer);
}

/** The log file of each service of the jobs, as far as each job has written one. */
export async function serviceLogs(site: SlurmSite, jobs: readonly SlurmJob[]): Promise<ServiceLog[]> {
  const logs: ServiceLog[] = [];
  for (const job of jobs) {
    const project = job.name.slice(site.prefix.length);
    const dir = runDirOf(site.root, project);
    const listed = await site.host.run(`cd ${shellQuote(dir)} 2>/dev/null && ls -1 ${shellQuote(job.id)}.*.log`);
    for (const file of listed.stdout.split('\n').filter(Boolean)) {
      const service = file.slice(job.id.length + 1, -'.log'.length);
      logs.push({ labels: { [LABEL.project]: project, [LABEL.service]: service }, id: posix.join(dir, file) });
    }
  }
  return logs;
}

/** A service's log file, from its start (or its last `tail` lines), followed with `follow`. */
export function tailLog(
  site: SlurmSite,
  file: string,
  options: LogOptions,
  onLine: (line: string, stream: 'stdout' | 'stderr') => void,
): LogStream {
  const lines = options.tail === undefined ? '+1' : String(options.tail);
  const follow = options.follow ? ' -F' : '';
  return site.host.streamLines(`tail -n ${lines}${follow} ${shellQuote(file)} 2>/dev/null`, (line) =>
    onLine(line, 'stdout'),
  );
}
