import { createHash } from 'node:crypto';
import type { BuildSpec, ContainerCreateBody, NetworkCreateBody, VolumeCreateBody } from '../engine/engine.js';
import {
  CACHE_SCOPE_KEY,
  DEPENDENCY_FILES,
  USER_LAYER_KEY,
  type ComposeFile,
  type ServiceSpec,
} from '../compose/compose-types.js';
import { asMapping } from '../compose/merge.js';
import { scalarText } from '../compose/scalar.js';
import { serviceModel } from '../compose/service-model-read.js';
import type {
  BuildModel,
  DependencyCondition,
  ProcessModel,
  ServiceModel,
  VolumeModel,
} from '../compose/service-model.js';
import { InputError } from '../errors/envctl-error.js';
import { COMPOSE_LABEL, COMPOSE_VERSION, ENVCTL_CONFIG_HASH, LABEL } from '../model/labels.js';
import { createBody } from './engine-body.js';

export type { DependencyCondition };

type NetworkSpec = NonNullable<NonNullable<ComposeFile['networks']>[string]>;

/** One container envctl wants running, with everything the engine needs to make it. */
export interface DesiredService {
  project: string;
  /** The namespaced service name, <project>-<service>. */
  service: string;
  containerName: string;
  image: string;
  build: BuildSpec | undefined;
  /** The service as the merged compose file writes it: what a target checks against the key table. */
  compose: ServiceSpec;
  /** Its long form with the workspace's names resolved: what each target's translation reads. */
  model: ServiceModel;
  /** The container's labels (the service's, envctl's and Compose's, with the config hash); a swarm's service's too. */
  labels: Record<string, string>;
  /** The Engine API's container create body, less the networks beyond the first. */
  create: ContainerCreateBody;
  /** Networks to join (engine names) with the aliases the service answers to there; the first is joined at create. */
  networks: Array<{ name: string; aliases: string[] }>;
  dependsOn: string[];
  /** What each dependency must reach before this service starts (Compose's depends_on conditions). */
  waitFor: Array<{ service: string; containerName: string; condition: DependencyCondition }>;
  /** Changes whenever anything that needs a new container changes: Compose's config-hash. */
  hash: string;
}

export interface DesiredNetwork {
  key: string;
  name: string;
  project: string | undefined;
  create: NetworkCreateBody;
  hash: string;
}

export interface DesiredVolume {
  key: string;
  name: string;
  project: string | undefined;
  external: boolean;
  create: VolumeCreateBody;
}

export interface Desired {
  projectName: string;
  /** The workspace's root, as its labels say: what is labelled so and not desired is removed. */
  root: string;
  services: DesiredService[];
  networks: DesiredNetwork[];
  volumes: DesiredVolume[];
}

export interface DesiredContext {
  projectName: string;
  root: string;
  composeDir: string;
  configFile: string;
  /** The variables of the env files services name, read at the edge. */
  envFiles: ReadonlyMap<string, Record<string, string>>;
  /** Where the engine finds a bind mount's host path (a server's synced copy); as written when absent. */
  bindSource?: ((path: string) => string) | undefined;
}

/** The merged compose model as what the engine should hold: containers, networks and volumes. */
export function desiredState(model: ComposeFile, context: DesiredContext): Desired {
  const networkNames = new Map(
    Object.entries(model.networks ?? {}).map(([key, spec]) => [
      key,
      spec?.name === undefined ? `${context.projectName}_${key}` : scalarText(spec.name),
    ]),
  );
  const volumeNames = new Map(
    Object.entries(model.volumes ?? {}).map(([key, spec]) => [
      key,
      spec?.name === undefined ? `${context.projectName}_${key}` : scalarText(spec.name),
    ]),
  );
  const networks = Object.entries(model.networks ?? {}).map(([key, spec]) =>
    desiredNetwork(key, networkNames.get(key)!, spec ?? {}, context),
  );
  const volumes = Object.entries(model.volumes ?? {}).map(([key, spec]): DesiredVolume => {
    const labels: Record<string, string> = {
      ...(asMapping(spec?.labels, 'labels') as Record<string, string>),
      [COMPOSE_LABEL.project]: context.projectName,
      [COMPOSE_LABEL.volume]: key,
      [COMPOSE_LABEL.version]: COMPOSE_VERSION,
    };
    return {
      key,
      name: volumeNames.get(key)!,
      project: labels[LABEL.project],
      external: Boolean(spec?.external),
      create: {
        Name: volumeNames.get(key)!,
        Driver: spec?.driver ?? 'local',
        DriverOpts: spec?.driver_opts ?? {},
        Labels: labels,
      },
    };
  });
  const names = { networks: networkNames, volumes: volumeNames };
  const services = Object.entries(model.services ?? {}).map(([name, spec]) =>
    desiredService(name, spec, context, names),
  );
  return { projectName: context.projectName, root: context.root, services, networks, volumes };
}

function desiredNetwork(key: string, name: string, spec: NetworkSpec, context: DesiredContext): DesiredNetwork {
  const labels: Record<string, string> = {
    ...(asMapping(spec.labels, 'labels') as Record<string, string>),
    [COMPOSE_LABEL.project]: context.projectName,
    [COMPOSE_LABEL.network]: key,
    [COMPOSE_LABEL.version]: COMPOSE_VERSION,
  };
  const ipam = spec.ipam?.config ?? [];
  const create: NetworkCreateBody = {
    Name: name,
    Driver: spec.driver ?? 'bridge',
    CheckDuplicate: true,
    Internal: Boolean(spec.internal),
    Attachable: Boolean(spec.attachable),
    IPAM: { Driver: 'default', Config: ipam.map((entry) => ({ Subnet: entry.subnet, Gateway: entry.gateway })) },
    Labels: labels,
  };
  const hash = hashOf({ ...create, Labels: undefined });
  create.Labels = { ...labels, [ENVCTL_CONFIG_HASH]: hash };
  return { key, name, project: labels[LABEL.project], create, hash };
}

function desiredService(name: string, spec: ServiceSpec, context: DesiredContext, names: Names): DesiredService {
  const written = serviceModel(spec);
  const containerOf = (service: string) => `${context.projectName}-${service}-1`;
  const model = resolved(name, written, context, names, containerOf);
  const image = written.image ?? `${context.projectName}-${name}`;
  const build = serviceBuild(written.build, spec);
  const labels = containerLabelsOf(written.labels, name, context);
  const create = createBody(model, image, labels);
  const networks = model.network.networks.map(({ key, aliases }) => ({ name: key, aliases }));
  const hash = hashOf({
    create: { ...create, Labels: { ...labels, [COMPOSE_LABEL.configHash]: undefined } },
    networks,
    build,
  });
  labels[COMPOSE_LABEL.configHash] = hash;
  const shared = sharedNetworkOf(written.network.networkMode);
  return {
    project: written.labels[LABEL.project]!,
    service: name,
    containerName: containerOf(name),
    image,
    build,
    compose: spec,
    model,
    labels,
    create,
    networks,
    dependsOn: [...new Set([...written.dependsOn.map(({ service }) => service), ...(shared ? [shared] : [])])],
    waitFor: written.dependsOn.map(({ service, condition }) => ({
      service,
      containerName: containerOf(service),
      condition,
    })),
    hash,
  };
}

interface Names {
  networks: ReadonlyMap<string, string>;
  volumes: ReadonlyMap<string, string>;
}

/**
 * The model with the workspace's names filled in, as every target runs it: env files read into the
 * environment, volumes and networks by their engine names, bind sources where the engine finds them, and
 * `network_mode: service:x` as the container of x.
 */
function resolved(
  name: string,
  model: ServiceModel,
  context: DesiredContext,
  names: Names,
  containerOf: (service: string) => string,
): ServiceModel {
  const shared = sharedNetworkOf(model.network.networkMode);
  const bindSource = context.bindSource ?? ((path: string) => path);
  return {
    ...model,
    process: { ...model.process, environment: environmentOf(name, model.process, context.envFiles), envFiles: [] },
    network: {
      ...model.network,
      networks: model.network.networks.map(({ key, aliases }) => ({ key: names.networks.get(key) ?? key, aliases })),
      networkMode: shared ? `container:${containerOf(shared)}` : model.network.networkMode,
    },
    storage: {
      ...model.storage,
      volumes: model.storage.volumes.map((volume) => resolvedVolume(volume, names.volumes, bindSource)),
    },
  };
}

function sharedNetworkOf(networkMode: string | undefined): string | undefined {
  return networkMode?.startsWith('service:') ? networkMode.slice('service:'.length) : undefined;
}

function resolvedVolume(
  volume: VolumeModel,
  volumeNames: ReadonlyMap<string, string>,
  bindSource: (path: string) => string,
): VolumeModel {
  const { source } = volume;
  if (source === undefined) return volume;
  const bind = volume.syntax === 'short' ? source.startsWith('/') : volume.type === 'bind';
  if (bind) return { ...volume, source: bindSource(source) };
  const named = volume.syntax === 'short' || volume.type === 'volume';
  return named ? { ...volume, source: volumeNames.get(source) ?? source } : volume;
}

/** env_file entries first, then `environment`, which wins: the Compose order. */
function environmentOf(
  name: string,
  process: ProcessModel,
  envFiles: ReadonlyMap<string, Record<string, string>>,
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const { path, required } of process.envFiles) {
    const file = envFiles.get(path);
    if (!file && required) {
      throw new InputError(`Service "${name}" names the env file ${path}, which does not exist.`, {
        location: { file: path },
        hint: 'Create the file, or write the entry as { path: ..., required: false }.',
      });
    }
    Object.assign(values, file ?? {});
  }
  return Object.assign(values, process.environment);
}

function serviceBuild(build: BuildModel | undefined, spec: ServiceSpec): BuildSpec | undefined {
  if (build === undefined) return undefined;
  const cacheScope = spec[CACHE_SCOPE_KEY];
  return {
    context: build.context,
    dockerfile: build.dockerfile,
    ...(build.target === undefined ? {} : { target: build.target }),
    args: build.args,
    dependencyFiles: (spec[DEPENDENCY_FILES] as string[] | undefined) ?? [],
    ...(spec[USER_LAYER_KEY] === true ? { userLayer: true } : {}),
    ...(typeof cacheScope === 'string' && cacheScope ? { cacheScope } : {}),
  };
}

/** The labels Compose itself puts on a container, so `docker compose ps` sees envctl's as its own. */
function containerLabelsOf(labels: Record<string, string>, name: string, context: DesiredContext) {
  const containerLabels: Record<string, string> = {
    ...labels,
    [COMPOSE_LABEL.project]: context.projectName,
    [COMPOSE_LABEL.service]: name,
    [COMPOSE_LABEL.containerNumber]: '1',
    [COMPOSE_LABEL.oneoff]: 'False',
    [COMPOSE_LABEL.workingDir]: context.composeDir,
    [COMPOSE_LABEL.configFiles]: context.configFile,
    [COMPOSE_LABEL.version]: COMPOSE_VERSION,
  };
  return containerLabels;
}

export function hashOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
