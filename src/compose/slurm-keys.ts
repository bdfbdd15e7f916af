import type { Verdict } from './service-keys.js';

/**
 * The "on a Slurm cluster" column of the key table: what a batch job applies, by key path ("deploy.resources",
 * "volumes[].type"). A top-level key not named here is refused there (SLURM_REFUSED); a sub-key not named
 * does what it does on one engine (a build's keys: the image is built on this machine's engine). A job runs
 * each service with the cluster's container runtime (Apptainer, enroot, Charliecloud), which has no network,
 * PID or cgroup namespace of its own and runs as the user who submitted it.
 */
export const SLURM_REFUSED =
  'a Slurm job runs the service in an unprivileged container runtime, which has no such setting; run the project on an engine';

const applied = (where: string): Verdict => ({ kind: 'applied', where });
const refused = (why: string, accepts?: (value: unknown) => boolean): Verdict => ({
  kind: 'refused',
  why,
  ...(accepts ? { accepts } : {}),
});

export const SLURM_VERDICTS: Readonly<Record<string, Verdict>> = {
  build: applied("built on this machine's engine, then converted to the runtime's image format on the cluster"),
  image: applied("converted to the runtime's image format and kept in slurm.root, once per image"),
  command: applied('run by the batch script'),
  entrypoint: applied('run by the batch script'),
  environment: applied("passed to the job in a file only you can read, not in the script's text"),
  env_file: applied("passed to the job in a file only you can read, not in the script's text"),
  working_dir: applied("the runtime's working directory"),
  init: applied('nothing to set: the job step reaps its processes'),
  shm_size: applied("nothing to set: the job uses its compute node's /dev/shm"),
  restart: applied('the batch script starts the service again while the job runs ("no": it ends the job)'),
  stop_grace_period: applied('nothing to set: scancel signals the job, and Slurm waits its KillWait'),
  expose: applied("nothing to set: the job shares its compute node's network"),
  ports: applied('free ports picked on the compute node when the job starts, forwarded through the login node'),
  'ports[].host_ip': refused('the port is on the compute node, reached through the login node'),
  'ports[].published': applied('a preferred port: the job takes it if it is free on its node'),
  volumes: applied('project folders, bind-mounted from their synced copy in slurm.root'),
  'volumes[].type': applied('bind only: a named volume or tmpfs has no place on a cluster'),
  'volumes[].bind': refused('the runtime binds a folder as it is'),
  'volumes[].volume': refused('a job has no named volumes: keep the data in the project folder'),
  'volumes[].tmpfs': refused("a job has no tmpfs mounts: use the node's /tmp"),
  deploy: applied('sbatch options'),
  'deploy.resources.limits.cpus': applied('sbatch --cpus-per-task (rounded up)'),
  'deploy.resources.limits.memory': applied('sbatch --mem'),
  'deploy.resources.limits.pids': refused("Slurm does not limit a job's processes"),
  'deploy.resources.reservations.cpus': refused('Slurm gives a job what it asks: write deploy.resources.limits.cpus'),
  'deploy.resources.reservations.memory': refused(
    'Slurm gives a job what it asks: write deploy.resources.limits.memory',
  ),
  'deploy.resources.reservations.devices': applied('sbatch --gres=gpu:N'),
  'deploy.resources.reservations.devices[].device_ids': refused(
    'Slurm hands out GPUs by count: write gpus: <count> in envctl.yml',
  ),
  'deploy.resources.reservations.devices[].options': refused('a Slurm GPU request takes no driver options'),
};
