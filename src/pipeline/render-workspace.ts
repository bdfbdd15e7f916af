import type { Grant } from '../allocation/allocate.js';
import type { ComposeFile } from '../compose/compose-types.js';
import { composeSchemaProblems } from '../compose/schema.js';
import { buildWorkspaceModel, LABEL } from '../compose/workspace-model.js';
import type { EngineNetwork, EngineView } from '../engine/engine-view.js';
import { EnvctlError } from '../errors/envctl-error.js';
import { allocateSubnets, type BusyBlock, type NetworkGrant } from '../network/allocate-subnets.js';
import { contains, parseCidr, type Cidr } from '../network/cidr.js';
import type { HostRoute, RouteSource } from '../network/host-routes.js';
import { networkRequests } from '../network/network-requests.js';
import { allocatePorts, type EnginePorts } from '../ports/allocate-ports.js';
import { portKey, type PortGrant } from '../ports/port-request.js';
import { portRequestsFor } from '../ports/port-requests.js';
import type { PortProbe } from '../ports/probe.js';
import { ensureSecrets, secretsEnvFile } from '../state/secrets.js';
import type { State, StateStore } from '../state/state-store.js';
import { renderProject } from '../templates/render-project.js';
import type { Workspace } from '../workspace/load.js';

/** The side effects render needs, passed in so tests can hand in fakes for the code beside them. */
export interface RenderEdges {
  ports: PortProbe;
  engine: EngineView;
  routes: RouteSource;
  store: StateStore;
}

export interface RenderOutcome {
  merged: ComposeFile;
  perProject: Map<string, ComposeFile>;
  ports: PortGrant[];
  networks: NetworkGrant[];
  secrets: Map<string, Record<string, string>>;
  /** compose/secrets/<project>.env files to write: file → variable → value. */
  envFiles: Map<string, Record<string, string>>;
  /** The state to keep, when the caller writes. */
  state: State;
  warnings: string[];
}

/** load → allocate → render → merge, under the workspace lock; writing is the caller's choice. */
export async function renderWorkspace(
  workspace: Workspace,
  edges: RenderEdges,
  persist: (outcome: RenderOutcome) => void,
): Promise<RenderOutcome> {
  return edges.store.withLock(async () => {
    const warnings: string[] = [];
    const { state: previous, warning } = edges.store.read();
    if (warning) warnings.push(warning);

    const [published, engineNetworks, routes] = await Promise.all([
      edges.engine.publishedPorts(),
      edges.engine.networks(),
      edges.routes.routes(),
    ]);
    const isOurs = (labels: Record<string, string>) => labels[LABEL.root] === workspace.root;

    const enginePorts = new Map<number, string | undefined>();
    for (const port of published) {
      const owner = isOurs(port.labels) ? portKey(port.labels[LABEL.project] ?? '', port.labels[LABEL.service] ?? '', port.privatePort, port.protocol) : undefined;
      enginePorts.set(port.port, owner);
    }
    const portAllocation = await allocatePorts({
      requests: workspace.projects.flatMap((project) => portRequestsFor(project, workspace.settings)),
      previous: previous.ports,
      range: workspace.settings.ports.range,
      probe: edges.ports,
      enginePorts: enginePorts as EnginePorts,
    });

    const secrets = new Map(previous.secrets);
    const envFiles = new Map<string, Record<string, string>>();
    const fragments = new Map<string, ComposeFile>();
    for (const project of workspace.projects) {
      const declared = Object.entries(project.template?.declaration.secrets ?? {}).map(([name, spec]) => ({ name, env: spec.env }));
      const envFile = declared.length ? secretsEnvFile(edges.store.composeDir, project.name) : undefined;
      if (envFile) {
        const values = ensureSecrets(declared, previous.secrets.get(project.name), envFile);
        secrets.set(project.name, values);
        envFiles.set(envFile, Object.fromEntries(declared.map(({ name, env }) => [env, values[name]!])));
      }
      const ports = portAllocation.grants.filter((grant) => grant.project === project.name);
      fragments.set(project.name, renderProject({ project, workspaceName: workspace.settings.name, ports, secretsEnvFile: envFile }));
    }

    const requests = networkRequests(workspace.settings, fragments);
    const busy = busyBlocks(engineNetworks, routes, previous.networks, isOurs);
    const subnetAllocation = await allocateSubnets({
      requests,
      previous: previous.networks as ReadonlyMap<string, Grant<string>>,
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
      throw new EnvctlError(`envctl generated a compose file the Compose Specification rejects: ${problem.path.join('.')} ${problem.message}.`, {
        hint: 'This is a bug in envctl or in a template; please report it with the template and project that caused it.',
      });
    }
    const outcome: RenderOutcome = {
      merged,
      perProject,
      ports: portAllocation.grants,
      networks: subnetAllocation.grants,
      secrets,
      envFiles,
      state: { ports: portAllocation.state, networks: subnetAllocation.state, secrets },
      warnings,
    };
    persist(outcome);
    return outcome;
  });
}

/**
 * What already holds addresses: every engine network, and every host route and address. Our own networks
 * are marked with their key, so a network keeps its subnet: Docker names a network's bridge "br-" and the
 * first 12 characters of its id, and the host's routes through that bridge are that network's own.
 */
function busyBlocks(
  engineNetworks: readonly EngineNetwork[],
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
      if (!subnet.includes(':')) busy.push({ cidr: parseCidr(subnet), holder: `Docker network ${network.name}`, ownerKey });
    }
  }
  // Without an engine to ask, a bridge route inside a subnet we handed out is taken to be ours.
  const previousOwner = (cidr: Cidr) => [...previous.values()].find((grant) => contains(parseCidr(grant.value), cidr))?.key;
  for (const route of routes) {
    const ownerKey = route.device.startsWith('br-') ? (bridgeOwner.get(route.device) ?? previousOwner(route.cidr)) : undefined;
    busy.push({ cidr: route.cidr, holder: `host route via ${route.device}`, ownerKey });
  }
  return busy;
}
