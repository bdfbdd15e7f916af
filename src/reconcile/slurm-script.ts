import { createHash } from 'node:crypto';
import type { SlurmRuntime } from '../workspace/settings.js';
import { shellQuote } from '../util/shell-quote.js';
import { execLine, prepareLines, runLine, type RuntimeRun } from './slurm-runtime.js';

/** One service of a project's job. */
export interface JobService {
  name: string;
  /** The runtime's image on the shared folder. */
  image: string;
  /** KEY=VALUE of its environment: the image's, then the service's (written to a file only the user reads). */
  env: ReadonlyArray<[string, string]>;
  binds: RuntimeRun['binds'];
  workdir: string | undefined;
  /** Entrypoint and command, as the engine would run them. */
  argv: readonly string[];
  /** Compose restart other than "no": started again while the job runs. */
  restarts: boolean;
  /** The ports it publishes: render's key, the container port, and whether it takes the port from $PORT. */
  ports: Array<{ key: string; container: number }>;
}

export interface JobSpec {
  project: string;
  jobName: string;
  /** Where its files live on the shared folder: the script, env files, each job's ports and output. */
  runDir: string;
  runtime: SlurmRuntime;
  partition: string | undefined;
  account: string | undefined;
  time: string | undefined;
  gpus: number;
  cpus: number | undefined;
  memoryMb: number | undefined;
  services: readonly JobService[];
}

/** What envctl writes for a job: the script, the env files beside it (mode 600), and the hash it carries. */
export interface JobFiles {
  script: string;
  envFiles: Array<{ path: string; text: string }>;
  /** Per service, the script envctl exec and shell run in the job: a command in its container. */
  execFiles: Array<{ path: string; text: string }>;
  /** Of everything the job runs: a job whose comment carries another hash runs an older version. */
  hash: string;
}

/** The comment a job of envctl carries: "envctl:<hash>". */
export const JOB_COMMENT_PREFIX = 'envctl:';

/**
 * Pure: the batch script of a project's job. At start the job picks its ports on its node (a service that
 * reads $PORT takes the container port if free, else the next free one; one that does not must have its
 * container port free, or the job ends saying so), writes them with the node's name to <runDir>/<job id>.json,
 * runs each service in the runtime with its output in <runDir>/<job id>.<service>.log, and ends when a service
 * that does not restart ends. The environment (secrets among it) is in the env files, never in the script.
 */
export function jobFiles(spec: JobSpec): JobFiles {
  const envFiles = spec.services.map((service) => ({
    path: `${spec.runDir}/${service.name}.env`,
    text: envFileText(spec.runtime, service.env),
  }));
  const body = [
    ...header(spec),
    ...portLines(spec),
    ...spec.services.flatMap((s) => serviceLines(spec, s)),
    'wait -n',
    'exit $?',
    '',
  ];
  const hash = createHash('sha256')
    .update(body.join('\n'))
    .update(envFiles.map((file) => file.text).join('\0'))
    .digest('hex')
    .slice(0, 16);
  const comment = `#SBATCH --comment=${JOB_COMMENT_PREFIX}${hash}`;
  const execFiles = spec.services.map((service) => ({
    path: `${spec.runDir}/${service.name}.exec`,
    text: [
      '#!/bin/bash',
      `# Written by envctl: runs a command in ${service.name}'s container of this job (envctl exec, shell).`,
      execLine(spec.runtime, withEnv(runOf(spec, service), gpuEnv(spec))),
      '',
    ].join('\n'),
  }));
  return { script: [body[0], comment, ...body.slice(1)].join('\n'), envFiles, execFiles, hash };
}

function header(spec: JobSpec): string[] {
  const option = (name: string, value: string | number | undefined) =>
    value === undefined ? [] : [`#SBATCH --${name}=${value}`];
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=${spec.jobName}`,
    `#SBATCH --output=${spec.runDir}/%j.out`,
    ...option('partition', spec.partition),
    ...option('account', spec.account),
    ...option('time', spec.time),
    ...option('gres', spec.gpus > 0 ? `gpu:${spec.gpus}` : undefined),
    ...option('cpus-per-task', spec.cpus),
    ...option('mem', spec.memoryMb === undefined ? undefined : `${spec.memoryMb}M`),
    "# Written by envctl: the project's job. Its environment is in the .env files beside it, readable by you only.",
    'set -u',
    'umask 077',
    // Charliecloud refuses to run without it, and a job submitted with --export=NONE has none.
    'export USER="${USER:-$(id -un)}"',
    `run=${shellQuote(spec.runDir)}`,
    // A port is free when nothing on this node accepts a connection there.
    'free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }',
    'pick() { local port=$1; while ! free "$port"; do port=$((port + 1)); done; echo "$port"; }',
    'need() { free "$1" && { echo "$1"; return; }; echo "envctl: port $1 is in use on $(hostname), and $2 listens on no other (it does not read \\$PORT)" >&2; exit 3; }',
  ];
}

function portLines(spec: JobSpec): string[] {
  const lines: string[] = [];
  const entries: string[] = [];
  for (const service of spec.services) {
    const flexible = readsPort(service);
    for (const port of service.ports) {
      const variable = portVariable(service.name, port.container);
      lines.push(
        flexible
          ? `${variable}=$(pick ${port.container})`
          : `${variable}=$(need ${port.container} ${shellQuote(service.name)}) || exit 3`,
      );
      entries.push(`"${port.key}":$${variable}`);
    }
  }
  lines.push(
    `printf '{"node":"%s","ports":{%s}}\\n' "$(hostname)" "${entries.join(',').replace(/"/g, '\\"')}" > "$run/$SLURM_JOB_ID.json"`,
  );
  return lines;
}

function serviceLines(spec: JobSpec, service: JobService): string[] {
  const ports = service.ports.map((port) => portVariable(service.name, port.container));
  const extraEnv = [
    ...(ports.length ? [`PORT="$${ports[0]!}"`] : []),
    ...service.ports.map((port, index) => `ENVCTL_PORT_${port.container}="$${ports[index]!}"`),
    ...gpuEnv(spec),
  ];
  const run = withEnv(runOf(spec, service), extraEnv);
  const log = `"$run/$SLURM_JOB_ID.${service.name}.log"`;
  const line = runLine(spec.runtime, run);
  const loop = service.restarts
    ? `while :; do ${line}; echo "envctl: ${service.name} ended ($?); starting it again" >&2; sleep 2; done`
    : line;
  // Set in the service's subshell too: an argument that names $PORT is expanded there.
  const assignments = extraEnv.map((pair) => `${pair}; `).join('');
  return [...prepareLines(spec.runtime, run), `(${assignments}${loop}) >> ${log} 2>&1 &`];
}

/** How the runtime runs a service, less the variables set when the job starts. */
function runOf(spec: JobSpec, service: JobService): RuntimeRun {
  return {
    name: service.name,
    image: service.image,
    envFile: `${spec.runDir}/${service.name}.env`,
    envNames: service.env.map(([name]) => name),
    extraEnv: [],
    binds: service.binds,
    workdir: service.workdir,
    gpus: spec.gpus,
    argv: service.argv.map(argWord),
  };
}

/** A run with variables the script sets (NAME="$value"), named among its environment. */
function withEnv(run: RuntimeRun, extraEnv: string[]): RuntimeRun {
  return { ...run, extraEnv, envNames: [...run.envNames, ...extraEnv.map((pair) => pair.split('=')[0]!)] };
}

/** The GPUs Slurm gave the job, which the runtime's clean environment would otherwise drop. */
function gpuEnv(spec: JobSpec): string[] {
  return spec.gpus > 0 ? ['CUDA_VISIBLE_DEVICES="${CUDA_VISIBLE_DEVICES:-}"'] : [];
}

/** Whether the service takes its port from the environment ($PORT or $ENVCTL_PORT_<port>). */
function readsPort(service: JobService): boolean {
  const words = [...service.argv, ...service.env.map(([, value]) => value)];
  return words.some((word) => PORT_REFERENCE.test(word));
}

const PORT_REFERENCE = /\$\{?(PORT|ENVCTL_PORT_\d+)\b/;

function portVariable(service: string, container: number): string {
  return `port_${service.replace(/\W/g, '_')}_${container}`;
}

/**
 * An argument as a shell word: quoted whole, except that $PORT and $ENVCTL_PORT_<n> (written $$PORT in
 * Compose) become the job's ports, as a shell in the container would expand them.
 */
function argWord(arg: string): string {
  if (!PORT_REFERENCE.test(arg)) return shellQuote(arg);
  const escaped = arg.replace(/[\\"`]/g, '\\$&').replace(/\$(?!\{?(PORT|ENVCTL_PORT_\d+)\b)/g, '\\$');
  return `"${escaped}"`;
}

/**
 * The env file as the runtime reads it: Apptainer and enroot source it (shell words); Charliecloud takes
 * NAME=VALUE lines as they are, stripping one pair of quotes around a value.
 */
function envFileText(runtime: SlurmRuntime, env: ReadonlyArray<[string, string]>): string {
  const line = ([name, value]: [string, string]) => {
    if (runtime !== 'charliecloud') return `${name}=${shellQuote(value)}`;
    const quoted = /^(['"]).*\1$/s.test(value);
    return `${name}=${quoted ? `"${value}"` : value}`;
  };
  return env.map(line).join('\n') + (env.length ? '\n' : '');
}
