import { resolve, sep } from 'node:path';
import {
  CACHE_SCOPE_KEY,
  DEPENDENCY_FILES,
  USER_LAYER_KEY,
  type ComposeFile,
  type PortSpec,
  type ServiceSpec,
} from '../compose/compose-types.js';
import { asMapping, mergeCompose } from '../compose/merge.js';
import { normalizePort } from '../compose/ports.js';
import { rebasePaths } from '../compose/paths.js';
import type { GpuAssignment } from '../allocation/gpu/allocate-gpus.js';
import { deviceReservation } from '../allocation/gpu/request.js';
import { portKey, type PortGrant } from '../allocation/ports/port-request.js';
import type { Project } from '../workspace/load.js';
import { renderFragment } from '../templates/render.js';
import { withDotfiles } from './dotfiles.js';
import type { HostUser } from '../util/host-user.js';
import { GPU_LABEL } from '../model/labels.js';
import { choiceMeanings } from '../templates/params.js';
import { mirrorBuildArgs, type PackageMirrors } from '../workspace/mirrors.js';
import { portUrl, urlLabel } from './port-url.js';

export interface ProjectRenderInput {
  project: Project;
  user: HostUser;
  /** The user's dotfiles folder, carried into the user services; none when unset. */
  dotfiles?: string;
  /** The workspace's package mirrors, for the builds of a template that takes them. */
  mirrors?: PackageMirrors;
  /** Where what envctl could not apply is said (a dotfiles folder for a service without a command). */
  warnings?: string[];
  workspaceName: string;
  gpus: GpuAssignment;
  ports: readonly PortGrant[];
  /** The env file holding the project's generated secrets, if its template declares any. */
  secretsEnvFile: string | undefined;
}

/**
 * The render stage for one project: its template's fragment with placeholders resolved, its ports
 * published on the allocated host ports, its env and GPU reservation applied, and its own compose.yml
 * merged over the result. Service names are still the project's own; the merge stage namespaces them.
 */
export function renderProject({
  project,
  workspaceName,
  gpus,
  ports,
  secretsEnvFile,
  user,
  dotfiles,
  mirrors,
  warnings,
}: ProjectRenderInput): ComposeFile {
  const { template } = project;
  const scope = {
    ...choiceMeanings(template, project.params),
    params: project.params,
    ports: Object.fromEntries(ports.map((grant) => [grant.name, grant.host])),
    project: { name: project.name, dir: project.dir },
    workspace: { name: workspaceName },
    ...(template ? { template: { name: template.name, dir: template.dir } } : {}),
  };
  let model: ComposeFile = template ? renderFragment(template.fragment, scope, template.dir) : { services: {} };
  const services = (model.services ??= {});
  const ownServices = Object.keys(services);

  for (const [name, declared] of Object.entries(template?.declaration.ports ?? {})) {
    const grant = ports.find((candidate) => candidate.name === name)!;
    const service = services[declared.service]!;
    service.ports = [...(service.ports ?? []), published(grant)];
    // ps reads the URL back from the container; its secrets stay marks here, filled in from the state.
    const url = portUrl(project, grant, { hostIp: grant.bind, hostPort: grant.host }, 'marked');
    const labels = asMapping(service.labels, 'labels') as Record<string, string>;
    if (url) service.labels = { ...labels, [urlLabel(grant.container, grant.protocol)]: url };
  }
  // The files a template builds from travel with the service, so a build can supply missing ones and the
  // build hash sees them change.
  const dependencyFiles = template?.declaration.dependency_files ?? [];
  for (const name of ownServices)
    if (services[name]!.build && dependencyFiles.length) services[name]![DEPENDENCY_FILES] = dependencyFiles;
  const mirrorArgs = mirrors ? mirrorBuildArgs(mirrors, template?.declaration.mirrors ?? []) : {};
  if (Object.keys(mirrorArgs).length)
    for (const name of ownServices) if (services[name]!.build) addBuildArgs(services[name]!, mirrorArgs);
  const runAs = project.params.run_as === 'root' ? { uid: 0, gid: 0 } : user;
  for (const name of template?.declaration.user_services ?? []) {
    runAsUser(services[name]!, runAs);
    const refused = dotfiles === undefined ? undefined : withDotfiles(services[name]!, name, dotfiles);
    if (refused) warnings?.push(`${project.name}: ${refused}.`);
  }
  for (const [, secret] of Object.entries(template?.declaration.secrets ?? {})) {
    for (const name of secret.services) if (secretsEnvFile) addEnvFile(services[name]!, secretsEnvFile);
  }

  if (project.override) {
    const override = rebasePaths(structuredClone(project.override.model), project.dir);
    for (const [name, service] of Object.entries(override.services ?? {})) {
      if (service?.ports) service.ports = service.ports.map((entry) => publishedFor(project.name, name, entry, ports));
    }
    model = mergeCompose(model, override);
  }

  if (template) markCacheScope(model, ownServices, template, workspaceName);
  const targets = template ? ownServices : Object.keys(model.services ?? {});
  for (const name of targets) applyEnv(model.services![name]!, project.config.env ?? {});
  const reservation = deviceReservation(gpus);
  const gpuTargets = template?.declaration.gpu_services ?? targets;
  if (reservation) for (const name of gpuTargets) reserveDevices(model.services![name]!, reservation, gpus);
  return model;
}

/** The template's services built from its own Dockerfile (not one a project's compose.yml named instead). */
function markCacheScope(
  model: ComposeFile,
  services: readonly string[],
  template: { name: string; dir: string },
  workspaceName: string,
): void {
  for (const name of services) {
    const service = model.services?.[name];
    const build = service?.build;
    if (!service || build === undefined || typeof build === 'string') continue;
    const dockerfile = typeof build.dockerfile === 'string' ? build.dockerfile : undefined;
    const context = typeof build.context === 'string' ? build.context : '.';
    if (dockerfile && resolve(context, dockerfile).startsWith(`${template.dir}${sep}`))
      service[CACHE_SCOPE_KEY] = `envctl-${workspaceName}-${template.name}`;
  }
}

/** Short syntax, "127.0.0.1:8888:8888/tcp": the one form every Compose implementation reads with a host address. */
function published(grant: PortGrant): string {
  const address = grant.bind.includes(':') ? `[${grant.bind}]` : grant.bind;
  return `${address}:${grant.host}:${grant.container}/${grant.protocol}`;
}

function publishedFor(
  project: string,
  service: string,
  entry: string | number | PortSpec,
  grants: readonly PortGrant[],
): string | PortSpec {
  const port = normalizePort(entry) as PortSpec;
  const grant = grants.find(
    (candidate) => candidate.key === portKey(project, service, port.target, port.protocol === 'udp' ? 'udp' : 'tcp'),
  );
  return grant ? published(grant) : port;
}

/**
 * A user service runs as `user`, and its image is built for that uid and gid (ENVCTL_UID, ENVCTL_GID: part of
 * the build hash, so another user gets an image of their own). A project's compose.yml that sets `user:` is
 * merged over this and keeps what it says.
 */
function runAsUser(service: ServiceSpec, user: HostUser): void {
  service.user = `${user.uid}:${user.gid}`;
  if (service.build === undefined) return;
  service[USER_LAYER_KEY] = true;
  addBuildArgs(service, { ENVCTL_UID: String(user.uid), ENVCTL_GID: String(user.gid) });
}

function addBuildArgs(service: ServiceSpec, added: Record<string, string>): void {
  const build = typeof service.build === 'string' ? { context: service.build } : service.build!;
  service.build = { ...build, args: { ...asMapping(build.args, 'args'), ...added } };
}

function addEnvFile(service: ServiceSpec, file: string): void {
  const existing =
    service.env_file === undefined ? [] : Array.isArray(service.env_file) ? service.env_file : [service.env_file];
  service.env_file = [...existing, file];
}

function applyEnv(service: ServiceSpec, env: Record<string, string | number | boolean>): void {
  if (Object.keys(env).length === 0) return;
  const current = asMapping(service.environment, 'environment');
  service.environment = {
    ...current,
    ...Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value)])),
  };
}

/** The reservation, and labels saying which GPUs the container holds, so others can see it (gpuHolders). */
function reserveDevices(service: ServiceSpec, reservation: Record<string, unknown>, gpus: GpuAssignment): void {
  if (gpus.kind === 'ids') {
    service.labels = {
      ...asMapping(service.labels, 'labels'),
      [GPU_LABEL.gpus]: gpus.ids.join(','),
      [GPU_LABEL.sharing]: gpus.sharing,
    };
  }
  const deploy = (service.deploy ??= {});
  const resources = (deploy.resources ??= {});
  const reservations = (resources.reservations ??= {});
  reservations.devices = [reservation];
}
