import type { SlurmRuntime } from '../workspace/settings.js';
import { shellQuote } from '../util/shell-quote.js';

/**
 * Pure: what each unprivileged container runtime of a Slurm cluster is given and how it is run, as its own
 * documentation has it: Apptainer builds a SIF from a `docker save` archive (docker-archive:), Charliecloud
 * unpacks a flattened filesystem tarball (`docker export`) with ch-convert, enroot takes a SquashFS of that
 * filesystem (enroot create). Each runs a service with only the environment envctl gives it, the project
 * folders bound where the service mounts them.
 */

/** Which archive of the image the runtime is converted from. */
export type ImageArchive = 'save' | 'export';

export function archiveOf(runtime: SlurmRuntime): ImageArchive {
  return runtime === 'apptainer' ? 'save' : 'export';
}

/** The image's name on the shared folder, by runtime: a SIF file, a folder, a SquashFS file. */
export function imageFileName(runtime: SlurmRuntime, imageId: string): string {
  const id = imageId.replace(/^sha256:/, '').slice(0, 24);
  return { apptainer: `${id}.sif`, charliecloud: id, enroot: `${id}.sqsh` }[runtime];
}

/** The login node's shell command that turns the archive into the runtime's image (then removes the archive). */
export function convertCommand(runtime: SlurmRuntime, archive: string, image: string): string {
  const [a, i] = [shellQuote(archive), shellQuote(image)];
  const partial = shellQuote(`${image}.partial`);
  const convert = {
    apptainer: `apptainer build --force ${partial} docker-archive:${a}`,
    charliecloud: `ch-convert -i tar -o dir ${a} ${partial}`,
    enroot: `mkdir ${partial}.root && tar -xf ${a} -C ${partial}.root && mksquashfs ${partial}.root ${partial} -noappend -quiet && rm -rf ${partial}.root`,
  }[runtime];
  // Converted beside its final name, then renamed: an image that is there is whole.
  return `rm -rf ${partial} && ${convert} && mv ${partial} ${i} && rm -f ${a}`;
}

export interface RuntimeRun {
  /** The service's name: names enroot's container. */
  name: string;
  image: string;
  /** The names of the variables the env file and extraEnv set. */
  envNames: string[];
  /** A file only the user can read: KEY=VALUE lines of the service's environment. */
  envFile: string;
  /** Variables set when the job starts (the ports it picked), as shell words: NAME="$VALUE". */
  extraEnv: string[];
  binds: Array<{ source: string; target: string; readOnly: boolean }>;
  workdir: string | undefined;
  gpus: number;
  /** The command and its arguments, each already a shell word. */
  argv: string[];
}

/**
 * What the script does before running a service: Charliecloud binds only onto a folder the image has (it
 * cannot make one in an image it mounts read-only), so each mount point is made in the image's folder first;
 * Apptainer and enroot make their own.
 */
export function prepareLines(runtime: SlurmRuntime, run: Pick<RuntimeRun, 'image' | 'binds'>): string[] {
  if (runtime !== 'charliecloud' || run.binds.length === 0) return [];
  const targets = run.binds.map(({ target }) => shellQuote(`${run.image}/${target.replace(/^\/+/, '')}`));
  return [`mkdir -p ${targets.join(' ')}`];
}

/**
 * The line of a service's exec script (envctl exec and shell, run in the job by srun --overlap): the command
 * ("$@") in the same image, environment and folders; enroot starts the job's own container again.
 */
export function execLine(runtime: SlurmRuntime, run: RuntimeRun): string {
  const line = runLine(runtime, { ...run, argv: ['"$@"'] });
  if (runtime !== 'enroot') return `exec ${line}`;
  return line.replace(/ enroot create --force --name \S+ \S+ >\/dev\/null &&/, '').replace(/; status=.*\)$/, ')');
}

/** The batch script's line that runs one service in the runtime, as shell words. */
export function runLine(runtime: SlurmRuntime, run: RuntimeRun): string {
  const binds = run.binds.map(({ source, target, readOnly }) => `${source}:${target}${readOnly ? ':ro' : ''}`);
  const image = shellQuote(run.image);
  switch (runtime) {
    case 'charliecloud':
      return [
        'ch-run',
        "--unset-env='*'",
        `--set-env=${shellQuote(run.envFile)}`,
        ...run.extraEnv.map((pair) => `--set-env=${pair}`),
        ...binds.map((bind) => `-b ${shellQuote(bind.replace(/:ro$/, ''))}`),
        ...(run.workdir ? [`-c ${shellQuote(run.workdir)}`] : []),
        image,
        '--',
        ...run.argv,
      ].join(' ');
    case 'apptainer':
      return [
        'apptainer exec --cleanenv',
        `--env-file ${shellQuote(run.envFile)}`,
        ...run.extraEnv.map((pair) => `--env ${pair}`),
        ...binds.map((bind) => `--bind ${shellQuote(bind)}`),
        ...(run.workdir ? [`--pwd ${shellQuote(run.workdir)}`] : []),
        ...(run.gpus > 0 ? ['--nv'] : []),
        image,
        ...run.argv,
      ].join(' ');
    case 'enroot': {
      // enroot start takes NAME=VALUE on its command line, which ps shows to everyone: the script sources the env
      // file (set -a) and names each variable with --env NAME, so its value comes from the job's environment.
      const container = `"envctl-$SLURM_JOB_ID-${run.name}"`;
      return [
        `(set -a && . ${shellQuote(run.envFile)} && ${run.extraEnv.join(' ')} &&`,
        `enroot create --force --name ${container} ${image} >/dev/null &&`,
        'enroot start',
        ...run.envNames.map((name) => `--env ${name}`),
        ...binds.map((bind) => `--mount ${shellQuote(bind)}`),
        container,
        ...run.argv,
        `; status=$?; enroot remove --force ${container} >/dev/null; exit $status)`,
      ].join(' ');
    }
    default:
      return runtime satisfies never;
  }
}
