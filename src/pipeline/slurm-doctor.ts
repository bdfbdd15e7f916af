import type { EnvctlError } from '../errors/envctl-error.js';
import { shellQuote } from '../util/shell-quote.js';
import { loadSettings, type WorkspaceSettings } from '../workspace/settings.js';
import type { Check } from './doctor-check.js';
import type { EngineChoice } from './edges.js';
import { reachSite, type SlurmSite } from './slurm-site.js';

/**
 * What a workspace on a Slurm cluster needs: the login node reached, Slurm's commands there, a container
 * runtime, the shared folder writable, and GPUs in the partition when projects ask for them.
 */
export async function slurmChecks(choice: EngineChoice, root: string | undefined): Promise<Check[]> {
  let site: SlurmSite;
  let settings: WorkspaceSettings;
  try {
    settings = loadSettings(root ?? process.cwd());
    site = await reachSite({ root: root ?? process.cwd(), settings }, choice);
  } catch (error) {
    const failure = error as EnvctlError;
    return [{ name: 'Slurm login node', status: 'fail', detail: failure.message, fix: failure.hint }];
  }
  const checks: Check[] = [
    {
      name: 'Slurm login node',
      status: 'ok',
      detail: site.server ? `reached as ssh ${site.server.ssh.destination}` : 'this machine',
    },
  ];
  const version = await site.host.run('sinfo --version');
  checks.push(
    version.exitCode === 0
      ? { name: 'Slurm', status: 'ok', detail: version.stdout.trim() }
      : {
          name: 'Slurm',
          status: 'fail',
          detail: `sinfo does not run on ${site.host.hostName}: ${version.stderr.trim() || `exit ${version.exitCode}`}`,
          fix: "Load Slurm's module in ~/.bashrc there (envctl runs sbatch, squeue and scancel over SSH).",
        },
  );
  checks.push({ name: 'Container runtime', status: 'ok', detail: `${site.runtime} (${site.runtimeFrom})` });
  const folder = await site.host.run(`mkdir -p ${shellQuote(site.root)} && test -w ${shellQuote(site.root)}`);
  checks.push(
    folder.exitCode === 0
      ? { name: 'Shared folder', status: 'ok', detail: `${site.root} is writable` }
      : {
          name: 'Shared folder',
          status: 'fail',
          detail: `${site.root} cannot be written on ${site.host.hostName}`,
          fix: 'Set slurm.root in workspace.yml to a folder every node sees (your home, or the scratch filesystem).',
        },
  );
  const partition = settings.slurm.partition;
  const gres = await site.host.run(`sinfo --noheader ${partition ? `-p ${shellQuote(partition)} ` : ''}-o '%G'`);
  const gpus = gres.stdout.split('\n').filter((line) => /gpu/.test(line));
  checks.push(
    gpus.length
      ? {
          name: 'GPUs',
          status: 'ok',
          detail: `the partition${partition ? ` ${partition}` : 's'} offer ${[...new Set(gpus)].join(', ')}`,
        }
      : {
          name: 'GPUs',
          status: 'warn',
          detail: 'no GPUs (gres gpu) in the partition: a project that asks for one waits forever',
          fix: 'Name a GPU partition in slurm.partition.',
        },
  );
  return checks;
}
