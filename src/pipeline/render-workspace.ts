import type { KeyTarget } from '../compose/service-keys.js';
import type { RenderOutcome } from '../merge/render-outcome.js';
import type { ComposeFile } from '../compose/compose-types.js';
import { composeSchemaProblems } from '../compose/schema.js';
import { buildWorkspaceModel } from '../merge/workspace-model.js';
import { LABEL } from '../model/labels.js';
import type { EngineView } from '../engine/engine-view.js';
import { EnvctlError } from '../errors/envctl-error.js';
import { allocateSubnets, type NetworkGrant } from '../allocation/network/allocate-subnets.js';
import type { RouteSource } from '../allocation/network/host-routes.js';
import { busyBlocks } from '../allocation/network/busy-blocks.js';
import { networkRequests } from '../allocation/network/network-requests.js';
import { allocatePorts } from '../allocation/ports/allocate-ports.js';
import { portKey, type PortGrant } from '../allocation/ports/port-request.js';
import { portRequestsFor } from '../allocation/ports/port-requests.js';
import type { PortProbe } from '../allocation/ports/probe.js';
import { allocateGpus, type GpuAssignment } from '../allocation/gpu/allocate-gpus.js';
import { gpuHolders } from '../allocation/gpu/holders.js';
import type { GpuDiscovery, GpuProbe } from '../allocation/gpu/probe.js';
import { ensureSecrets, secretsEnvFile } from '../state/secrets.js';
import type { StateStore } from '../state/state-store.js';
import { renderProject } from '../render/render-project.js';
import type { HostUser } from '../util/host-user.js';
import { checkNameClashes, checkProjectModels, checkSettingsOnTarget } from './check-projects.js';
import type { Workspace } from '../workspace/load.js';
import { seedGrants } from '../allocation/allocate.js';
import {
  enginePortOwners,
  gpuGrantsOnEngine,
  gpuGroup,
  networkGrantsOnEngine,
  portGrantsOnEngine,
} from '../allocation/engine-grants.js';

/** The side effects render needs, passed in so tests can hand in fakes for the code beside them. */
export interface RenderEdges {
  ports: PortProbe;
  gpus: GpuProbe;
  engine: EngineView;
  routes: RouteSource;
  store: StateStore;
  /** Who runs envctl (on a server, the SSH user there): templates' user services run as them. */
  user: HostUser;
  /** The column of the key table (compose/service-keys.ts) the projects are checked against. */
  target: KeyTarget;
  /** Where the engine finds a bind mount's host path; absent when it runs on this machine. */
  bindSource?: ((path: string) => string) | undefined;
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
    warnings.push(...checkSettingsOnTarget(workspace, edges.target));
    const [published, engineNetworks, routes, gpuDiscovery, gpuRunning] = await Promise.all([
      edges.engine.publishedPorts(),
      edges.engine.networks(),
      edges.routes.routes(),
      wantsGpus ? discoverGpus(edges) : undefined,
      wantsGpus ? edges.engine.runningWithGpus() : [],
    ]);
    const isOurs = (labels: Record<string, string>) => labels[LABEL.root] === workspace.root;

    const enginePorts = enginePortOwners(published, isOurs, portKey);
    const portRequests = workspace.projects.flatMap((project) => portRequestsFor(project, workspace.settings));
    const portAllocation = await allocatePorts({
      requests: portRequests,
      previous: seedGrants(previous.ports, portGrantsOnEngine(enginePorts, portRequests)),
      range: workspace.settings.ports.range,
      probe: edges.ports,
      enginePorts: enginePorts,
      rangeSet: workspace.settings.ports.rangeSet,
      listed: new Set(workspace.projects.map((project) => project.name)),
    });
    warnings.push(...portAllocation.notices);

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
      previous: seedGrants(previous.gpus, gpuGrantsOnEngine(gpuRunning, isOurs), gpuGroup),
      enforce: options.enforceGpus ?? false,
      cpuOnly: options.cpuOnly ?? false,
    });
    warnings.push(...gpuAllocation.warnings);

    const { secrets, envFiles, fragments } = renderFragments(workspace, edges, previous, {
      ports: portAllocation.grants,
      gpus: gpuAllocation.assignments,
      warnings,
    });
    checkProjectModels(workspace.projects, fragments, edges.target);
    const requests = networkRequests(workspace.settings, fragments);
    checkNameClashes(workspace.projects, fragments, requests);
    const busy = busyBlocks(engineNetworks, routes, previous.networks, isOurs);
    const subnetAllocation = await allocateSubnets({
      requests,
      previous: seedGrants(previous.networks, networkGrantsOnEngine(engineNetworks, isOurs)),
      range: workspace.settings.networks.range,
      busy,
    });

    const { merged, perProject } = mergeChecked(workspace, fragments, subnetAllocation.grants);
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

/** The machine's GPUs, unless the engine is known to be unable to give any. */
async function discoverGpus(edges: RenderEdges): Promise<GpuDiscovery> {
  const [support, discovery] = await Promise.all([edges.engine.gpuSupport(), edges.gpus.discover()]);
  if (support.supported === 'no' && discovery.available) return { available: false, reason: support.reason };
  return discovery;
}

/** Each project's fragment from its template, with its grants and its secrets (made once, then kept). */
function renderFragments(
  workspace: Workspace,
  edges: RenderEdges,
  previous: ReturnType<RenderEdges['store']['read']>['state'],
  grants: { ports: PortGrant[]; gpus: ReadonlyMap<string, GpuAssignment>; warnings: string[] },
) {
  const { warnings } = grants;
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
    const ports = grants.ports.filter((grant) => grant.project === project.name);
    fragments.set(
      project.name,
      renderProject({
        project,
        workspaceName: workspace.settings.name,
        gpus: grants.gpus.get(project.name)!,
        ports,
        secretsEnvFile: envFile,
        user: edges.user,
        dotfiles: workspace.settings.dotfiles,
        mirrors: workspace.settings.mirrors,
        warnings,
      }),
    );
  }

  return { secrets, envFiles, fragments };
}

/** The fragments merged into one model, namespaced, with the subnets granted; checked against the schema. */
function mergeChecked(workspace: Workspace, fragments: ReadonlyMap<string, ComposeFile>, subnets: NetworkGrant[]) {
  const model = buildWorkspaceModel(
    { name: workspace.settings.name, root: workspace.root },
    workspace.projects.map((project) => ({ name: project.name, fragment: fragments.get(project.name)! })),
    new Map(subnets.map((grant) => [grant.key, grant])),
  );
  const problem = composeSchemaProblems(model.merged)[0];
  if (problem) {
    throw new EnvctlError(
      `envctl generated a compose file the Compose Specification rejects: ${problem.path.join('.')} ${problem.message}.`,
      {
        hint: 'This is a bug in envctl or in a template; please report it with the template and project that caused it.',
      },
    );
  }
  return model;
}
