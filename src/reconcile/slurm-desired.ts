import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { EngineError, InputError } from '../errors/envctl-error.js';
import { LABEL } from '../model/labels.js';
import type { SlurmSettings, SlurmRuntime } from '../workspace/settings.js';
import type { DesiredService } from './desired.js';
import type { JobService, JobSpec } from './slurm-script.js';

/** What a job needs of an image beyond its file: the defaults `docker run` would take from its config. */
export interface ImageDefaults {
  env: string[];
  entrypoint: string[] | undefined;
  cmd: string[] | undefined;
  workingDir: string | undefined;
}

export interface SlurmContext {
  /** The workspace's id in job names: envctl-<id>-<project>. */
  workspaceId: string;
  /** The workspace's folder on the shared filesystem (slurm.root). */
  root: string;
  runtime: SlurmRuntime;
  settings: SlurmSettings;
  /** The runtime's image on the shared folder, by the service's image name. */
  imageFile: (image: string) => string;
  defaults: (image: string) => ImageDefaults;
}

/** envctl-<id>-: the start of every job name of a workspace, its id from its folder on this machine. */
export function jobPrefix(workspaceRoot: string, name: string): string {
  const id = createHash('sha256').update(workspaceRoot).digest('hex').slice(0, 6);
  return `envctl-${name.slice(0, 20)}-${id}-`;
}

/** Where a project's jobs keep their files on the shared folder: the script, env files, ports, output. */
export function runDirOf(root: string, project: string): string {
  return posix.join(root, 'jobs', project);
}

/** Pure: one job per project, its services run side by side in the runtime; refused what a job cannot carry. */
export function slurmJobs(services: readonly DesiredService[], context: SlurmContext): JobSpec[] {
  const projects = [...new Set(services.map((service) => service.project))];
  return projects.map((project) => {
    const own = services.filter((service) => service.project === project);
    const gpus = own.reduce((sum, service) => sum + gpuCount(service), 0);
    const cpus = sumOf(
      own.map((service) => service.model.resources.nanoCpus),
      (nano) => nano / 1e9,
    );
    const memory = sumOf(
      own.map((service) => service.model.resources.memoryBytes),
      (bytes) => bytes / 2 ** 20,
    );
    return {
      project,
      jobName: `${context.workspaceId}${project}`,
      runDir: runDirOf(context.root, project),
      runtime: context.runtime,
      partition: context.settings.partition,
      account: context.settings.account,
      time: context.settings.time,
      gpus,
      cpus: cpus === undefined ? undefined : Math.ceil(cpus),
      memoryMb: memory === undefined ? undefined : Math.ceil(memory),
      services: own.map((service) => jobService(service, context)),
    };
  });
}

function jobService(service: DesiredService, context: SlurmContext): JobService {
  const { model } = service;
  const defaults = context.defaults(service.image);
  const entrypoint = model.process.entrypoint ?? defaults.entrypoint ?? [];
  // As the engine does: a service's own entrypoint drops the image's command.
  const command = model.process.command ?? (model.process.entrypoint ? [] : (defaults.cmd ?? []));
  const argv = [...entrypoint, ...command];
  const name = service.labels[LABEL.service] ?? service.service;
  if (argv.length === 0)
    throw new InputError(`${service.service} has no command, and its image ${service.image} names none.`, {
      hint: `Write command: in projects/${service.project}/compose.yml.`,
    });
  return {
    name,
    image: context.imageFile(service.image),
    env: envOf([...defaults.env, ...(service.create.Env ?? [])]),
    binds: bindsOf(service),
    workdir: model.process.workingDir ?? defaults.workingDir,
    argv,
    restarts: model.process.restart !== undefined && model.process.restart.name !== 'no',
    ports: model.network.ports.map((port) => ({
      key: `${service.project}/${name}/${port.target}/${port.protocol}`,
      container: port.target,
    })),
  };
}

/** KEY=VALUE entries, the last one of a name winning (the service's over the image's). */
function envOf(entries: readonly string[]): Array<[string, string]> {
  const env = new Map<string, string>();
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at > 0) env.set(entry.slice(0, at), entry.slice(at + 1));
  }
  return [...env];
}

/** The service's binds (project folders, at their copy on the shared folder); a named volume has no place here. */
function bindsOf(service: DesiredService): JobService['binds'] {
  return service.model.storage.volumes.map((volume) => {
    const source = volume.source;
    const bind = volume.syntax === 'short' ? source?.startsWith('/') : volume.type === 'bind';
    if (!bind || !source || !volume.target) {
      throw new EngineError(
        `${service.service} mounts ${source ? `the named volume "${source}"` : 'an anonymous volume'} at ${volume.target ?? '?'}, and a Slurm job has no volumes.`,
        { hint: `Keep the data in the project's folder (mount ./ instead) on a Slurm cluster.` },
      );
    }
    const readOnly =
      volume.syntax === 'short' ? (volume.mode ?? '').split(',').includes('ro') : volume.readOnly === true;
    return { source, target: volume.target, readOnly };
  });
}

function gpuCount(service: DesiredService): number {
  return (service.model.resources.gpus ?? []).reduce(
    (sum, request) => sum + (typeof request.count === 'number' ? request.count : 0),
    0,
  );
}

function sumOf(values: ReadonlyArray<number | undefined>, unit: (value: number) => number): number | undefined {
  const given = values.filter((value): value is number => value !== undefined);
  return given.length ? given.reduce((sum, value) => sum + unit(value), 0) : undefined;
}
