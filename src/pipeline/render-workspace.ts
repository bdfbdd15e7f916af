import type { RenderOutcome } from '../merge/render-outcome.js';
import type { ComposeFile } from '../compose/compose-types.js';
import { composeSchemaProblems } from '../compose/schema.js';
import { buildWorkspaceModel } from '../merge/workspace-model.js';
import { LABEL, GPU_LABEL } from '../model/labels.js';
import type { EngineView, RunningContainer } from '../engine/engine-view.js';
import { EnvctlError } from '../errors/envctl-error.js';
import { allocateSubnets, type BusyBlock } from '../allocation/network/allocate-subnets.js';
import { contains, parseCidr, type Cidr } from '../util/cidr.js';
import type { HostRoute, RouteSource } from '../allocation/network/host-routes.js';
import { networkRequests } from '../allocation/network/network-requests.js';
import { allocatePorts } from '../allocation/ports/allocate-ports.js';
import { portKey, type PortRequest } from '../allocation/ports/port-request.js';
import { portRequestsFor } from '../allocation/ports/port-requests.js';
import type { PortProbe } from '../allocation/ports/probe.js';
import { allocateGpus } from '../allocation/gpu/allocate-gpus.js';
import { gpuHolders } from '../allocation/gpu/holders.js';
import type { GpuDiscovery, GpuProbe } from '../allocation/gpu/probe.js';
import { ensureSecrets, secretsEnvFile } from '../state/secrets.js';
import type { StateStore } from '../state/state-store.js';
import { renderProject } from '../render/render-project.js';
import { checkNameClashes, checkProjectModels } from './check-projects.js';
import type { Workspace } from '../workspace/load.js';
import type { Grant } from '../model/grant.js';
import type { ObservedNetwork } from '../engine/observed.js';

/** The side effects render needs, passed in so tests can hand in fakes for the code beside them. */
export interface RenderEdges {
  ports: PortProbe;
  gpus: GpuProbe;
  engine: EngineView;
  routes: RouteSource;
  store: StateStore;
}

export interface RenderOptions {
  /** up: a project that needs a GPU the machine cannot give stops everything before it starts. */
  enforceGpus?: boolean;
  /** Run every project without GPU reservations. */
  cpuOnly?: boolean;
  /** A caller's own checks of the outcome (up: the engine's desired state), run before persist. */
  check?: (outcome: RenderOutcome) => void;
}

/** load → allocate → render → merge, under the workspace lock; writing is the caller's choice. */
export async function renderWorkspace(
  workspace: Workspace,
  edges: RenderEdges,
  persist: (outcome: RenderOutcome) => void,
  options: RenderOptions = {},
): Promise<RenderOutcome> {
  return edges.store.withLock(async () => {
    const warnings: string[] = [];
    const { state: previous, warning } = edges.store.read();
    if (warning) warnings.push(warning);

    const wantsGpus = workspace.projects.some((project) => project.gpus.kind !== 'none');
    const [published, engineNetworks, routes, gpuDiscovery, gpuRunning] = await Promise.all([
      edges.engine.publishedPorts(),
      edges.engine.networks(),
      edges.routes.routes(),
      wantsGpus ? discoverGpus(edges) : undefined,
      wantsGpus ? edges.engine.runningWithGpus() : [],
    ]);
    const isOurs = (labels: Record<string, string>) => labels[LABEL.root] === workspace.root;

    const enginePorts = new Map<number, string | undefined>();
    for (const port of published) {
      const owner = isOurs(port.labels)
        ? portKey(port.labels[LABEL.project] ?? '', port.labels[LABEL.service] ?? '', port.privatePort, port.protocol)
        : undefined;
      enginePorts.set(port.port, owner);
    }
    const portRequests = workspace.projects.flatMap((project) => portRequestsFor(project, workspace.settings));
    const portAllocation = await allocatePorts({
      requests: portRequests,
      previous: withEnginePorts(previous.ports, portRequests, enginePorts),
      range: workspace.settings.ports.range,
      probe: edges.ports,
      enginePorts: enginePorts,
      listed: new Set(workspace.projects.map((project) => project.name)),
    });

    const gpuAllocation = await allocateGpus({
      needs: workspace.projects.map((project) => ({
        project: project.name,
        request: project.gpus,
        sharing: project.gpuSharing,
        optional: project.gpusOptional,
        location: project.configSource?.locate(['gpus']),
      })),
      discovery: gpuDiscovery ?? { available: false, reason: 'no project asks for one' },
      holders: gpuHolders(gpuRunning, workspace.root),
      previous: withEngineGpus(previous.gpus, gpuRunning, isOurs),
      enforce: options.enforceGpus ?? false,
      cpuOnly: options.cpuOnly ?? false,
    });
    warnings.push(...gpuAllocation.warnings);

    const secrets = new Map(previous.secrets);
    const envFiles = new Map<string, Record<string, string>>();
    const fragments = new Map<string, ComposeFile>();
    for (const project of workspace.projects) {
      const declared = Object.entries(project.template?.declaration.secrets ?? {}).map(([name, spec]) => ({
        name,
        env: spec.env,
      }));
      const envFile = declared.length ? secretsEnvFile(edges.store.composeDir, project.name) : undefined;
      if (envFile) {
        const values = ensureSecrets(declared, previous.secrets.get(project.name), envFile);
        secrets.set(project.name, values);
        envFiles.set(envFile, Object.fromEntries(declared.map(({ name, env }) => [env, values[name]!])));
      }
      const ports = portAllocation.grants.filter((grant) => grant.project === project.name);
      fragments.set(
        project.name,
        renderProject({
          project,
          workspaceName: workspace.settings.name,
          gpus: gpuAllocation.assignments.get(project.name)!,
          ports,
          secretsEnvFile: envFile,
        }),
      );
    }

    checkProjectModels(workspace.projects, fragments);
    const requests = networkRequests(workspace.settings, fragments);
    checkNameClashes(workspace.projects, fragments, requests);
    const busy = busyBlocks(engineNetworks, routes, previous.networks, isOurs);
    const subnetAllocation = await allocateSubnets({
      requests,
      previous: withEngineNetworks(previous.networks, engineNetworks, isOurs),
      range: workspace.settings.networks.range,
      busy,
    });

    const { merged, perProject } = buildWorkspaceModel(
      { name: workspace.settings.name, root: workspace.root },
      workspace.projects.map((project) => ({ name: project.name, fragment: fragments.get(project.name)! })),
      new Map(subnetAllocation.grants.map((grant) => [grant.key, grant])),
    );
    const problem = composeSchemaProblems(merged)[0];
    if (problem) {
      throw new EnvctlError(
        `envctl generated a compose file the Compose Specification rejects: ${problem.path.join('.')} ${problem.message}.`,
        {
          hint: 'This is a bug in envctl or in a template; please report it with the template and project that caused it.',
        },
      );
    }
    const outcome: RenderOutcome = {
      merged,
      perProject,
      ports: portAllocation.grants,
      networks: subnetAllocation.grants,
      secrets,
      gpus: gpuAllocation.assignments,
      envFiles,
      state: { ports: portAllocation.state, networks: subnetAllocation.state, gpus: gpuAllocation.state, secrets },
      warnings,
    };
    // Every check that can fail runs before anything is written.
    options.check?.(outcome);
    persist(outcome);
    return outcome;
  });
}

/**
 * The state under compose/ is a cache: where it lost a port that one of our running containers publishes,
 * the engine's labels say what it was.
 */
function withEnginePorts(
  previous: ReadonlyMap<string, Grant<number>>,
  requests: readonly PortRequest[],
  enginePorts: ReadonlyMap<number, string | undefined>,
) {
  const seeded = new Map(previous);
  for (const [port, key] of enginePorts) {
    const request = key === undefined ? undefined : requests.find((candidate) => candidate.key === key);
    if (request && !seeded.has(request.key))
      seeded.set(request.key, { key: request.key, value: port, signature: `${request.preferred ?? ''}` });
  }
  return seeded;
}

/** Likewise for the subnets of our networks on the engine. */
function withEngineNetworks(
  previous: ReadonlyMap<string, Grant<string>>,
  networks: readonly ObservedNetwork[],
  isOurs: (labels: Record<string, string>) => boolean,
) {
  const seeded = new Map(previous);
  for (const network of networks) {
    const key = network.labels[LABEL.network];
    const subnet = network.subnets.find((candidate) => !candidate.includes(':'));
    if (key && subnet && isOurs(network.labels) && !seeded.has(key))
      seeded.set(key, { key, value: subnet, signature: '' });
  }
  return seeded;
}

/** Likewise for the GPUs our running containers hold (their dev.envctl.gpus labels). */
function withEngineGpus(
  previous: ReadonlyMap<string, Grant<string>>,
  running: readonly RunningContainer[],
  isOurs: (labels: Record<string, string>) => boolean,
) {
  const seeded = new Map(previous);
  for (const { labels } of running) {
    const project = labels[LABEL.project];
    if (!project || !isOurs(labels) || labels[GPU_LABEL.sharing] !== 'exclusive') continue;
    if ([...seeded.keys()].some((key) => key.startsWith(`${project}/gpu/`))) continue;
    const ids = (labels[GPU_LABEL.gpus] ?? '').split(',').filter(Boolean);
    ids.forEach((id, i) =>
      seeded.set(`${project}/gpu/${i}`, { key: `${project}/gpu/${i}`, value: id, signature: `count:${ids.length}` }),
    );
  }
  return seeded;
}

/** The machine's GPUs, unless the engine is known to be unable to give any. */
async function discoverGpus(edges: RenderEdges): Promise<GpuDiscovery> {
  const [support, discovery] = await Promise.all([edges.engine.gpuSupport(), edges.gpus.discover()]);
  if (support.supported === 'no' && discovery.available) return { available: false, reason: support.reason };
  return discovery;
}

/**
 * What already holds addresses: every engine network, and every host route and address. Our own networks
 * are marked with their key, so a network keeps its subnet: Docker names a network's bridge "br-" and the
 * first 12 characters of its id, and the host's routes through that bridge are that network's own.
 */
function busyBlocks(
  engineNetworks: readonly ObservedNetwork[],
  routes: readonly HostRoute[],
  previous: ReadonlyMap<string, Grant<string>>,
  isOurs: (labels: Record<string, string>) => boolean,
): BusyBlock[] {
  const busy: BusyBlock[] = [];
  const bridgeOwner = new Map<string, string>();
  for (const network of engineNetworks) {
    const ownerKey = isOurs(network.labels) ? network.labels[LABEL.network] : undefined;
    if (ownerKey) bridgeOwner.set(`br-${network.id.slice(0, 12)}`, ownerKey);
    for (const subnet of network.subnets) {
      if (!subnet.includes(':'))
        busy.push({ cidr: parseCidr(subnet), holder: `Docker network ${network.name}`, ownerKey });
    }
  }
  // Without an engine to ask, a bridge route inside a subnet we handed out is taken to be ours.
  const previousOwner = (cidr: Cidr) =>
    [...previous.values()].find((grant) => contains(parseCidr(grant.value), cidr))?.key;
  for (const route of routes) {
    const ownerKey = route.device.startsWith('br-')
      ? (bridgeOwner.get(route.device) ?? previousOwner(route.cidr))
      : undefined;
    busy.push({ cidr: route.cidr, holder: `host route via ${route.device}`, ownerKey });
  }
  return busy;
}
