import { posix } from 'node:path';
import { shellQuote } from '../util/shell-quote.js';
import type { SlurmSite } from './slurm-site.js';

/** What a running job wrote when it started: its node and the port each published port got there. */
export interface JobPorts {
  node: string;
  /** By render's port key ("project/service/8888/tcp"). */
  ports: Record<string, number>;
}

/** The ports a job picked on its node, once it has written them. */
export async function jobPorts(site: SlurmSite, runDir: string, jobId: string): Promise<JobPorts | undefined> {
  const result = await site.host.run(`cat ${shellQuote(posix.join(runDir, `${jobId}.json`))} 2>/dev/null`);
  if (result.exitCode !== 0 || !result.stdout.trim()) return undefined;
  try {
    return JSON.parse(result.stdout) as JobPorts;
  } catch {
    return undefined;
  }
}
