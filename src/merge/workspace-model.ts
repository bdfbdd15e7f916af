import { LABEL } from '../model/labels.js';
import type { NetworkGrant } from '../allocation/network/allocate-subnets.js';
import { networkKey, WORKSPACE_NETWORK } from '../allocation/network/network-requests.js';
import type { ComposeFile, ServiceSpec } from '../compose/compose-types.js';
import { asMapping } from '../compose/merge.js';
import { namespaced, namespaceProject } from './namespace.js';

export interface RenderedProject {
  name: string;
  /** The project's fragment after render, with its own service names. */
  fragment: ComposeFile;
}

export interface WorkspaceIdentity {
  name: string;
  root: string;
}

/**
 * The merge stage: every project's fragment namespaced, every service on the workspace network (where
 * it answers as <project>-<service>) and, in a project of several services, on the project's network
 * (where it also answers by its short name), every network with its allocated subnet, all labelled.
 */
export function buildWorkspaceModel(
  workspace: WorkspaceIdentity,
  projects: readonly RenderedProject[],
  networks: ReadonlyMap<string, NetworkGrant>,
): { merged: ComposeFile; perProject: Map<string, ComposeFile> } {
  // No top-level `name:`: docker-compose 1.29 rejects it; compose/.env sets COMPOSE_PROJECT_NAME instead.
  const merged: ComposeFile = { services: {}, networks: {}, volumes: {} };
  const perProject = new Map<string, ComposeFile>();
  const baseLabels = { [LABEL.workspace]: workspace.name, [LABEL.root]: workspace.root };
  // An empty which-project wants nothing running, the workspace network included.
  if (projects.length === 0) return { merged: {}, perProject };
  merged.networks![WORKSPACE_NETWORK] = networkSpec(networks.get(networkKey())!, baseLabels, WORKSPACE_NETWORK);

  for (const { name: project, fragment } of projects) {
    const ownNetworkKey = networkKey(project);
    const ownNetwork = networks.get(ownNetworkKey);
    const declared = Object.keys(fragment.networks ?? {});
    const namespacedFragment = namespaceProject(project, fragment);
    const projectLabels = { ...baseLabels, [LABEL.project]: project };
    const out: ComposeFile = { services: {}, networks: {}, volumes: {} };
    const workspaceNetwork = { [WORKSPACE_NETWORK]: merged.networks![WORKSPACE_NETWORK] };

    for (const name of declared) {
      const spec = fragment.networks?.[name] ?? {};
      const grant = networks.get(networkKey(project, name));
      out.networks![namespaced(project, name)] = grant
        ? networkSpec(grant, projectLabels, networkKey(project, name), spec)
        : spec;
    }
    if (ownNetwork) out.networks![project] = networkSpec(ownNetwork, projectLabels, ownNetworkKey);

    for (const [serviceName, spec] of Object.entries(namespacedFragment.services ?? {})) {
      const shortName = serviceName.slice(project.length + 1);
      const service: ServiceSpec = { ...spec };
      service.labels = {
        ...asMapping(service.labels, 'labels'),
        ...projectLabels,
        [LABEL.service]: shortName,
      };
      if (service.network_mode === undefined) {
        service.networks = serviceNetworks(project, shortName, service, ownNetwork !== undefined);
      }
      out.services![serviceName] = sortKeys(service);
    }
    for (const [volume, spec] of Object.entries(namespacedFragment.volumes ?? {})) {
      out.volumes![volume] = spec?.external
        ? spec
        : { ...(spec ?? {}), labels: { ...asMapping(spec?.labels, 'labels'), ...projectLabels } };
    }
    for (const section of ['secrets', 'configs'] as const) {
      if (fragment[section]) out[section] = fragment[section];
    }
    // Each project's own file names the workspace network too, so it is a whole Compose file by itself.
    perProject.set(project, dropEmpty({ ...out, networks: sortKeys({ ...workspaceNetwork, ...out.networks }) }));
    Object.assign(merged.services!, out.services);
    Object.assign(merged.networks!, out.networks);
    Object.assign(merged.volumes!, out.volumes);
    for (const section of ['secrets', 'configs'] as const)
      if (out[section]) merged[section] = { ...(merged[section] ?? {}), ...out[section] };
  }
  merged.services = sortKeys(merged.services!);
  merged.networks = sortKeys(merged.networks!);
  merged.volumes = sortKeys(merged.volumes!);
  return { merged: dropEmpty(merged), perProject };
}

function serviceNetworks(
  project: string,
  shortName: string,
  service: ServiceSpec,
  hasOwnNetwork: boolean,
): NonNullable<ServiceSpec['networks']> {
  const result: Record<string, { aliases?: string[] } | null> = {};
  for (const [name, spec] of Object.entries(asMapping(service.networks, 'networks'))) {
    const target = name === 'default' ? (hasOwnNetwork ? project : WORKSPACE_NETWORK) : namespaced(project, name);
    result[target] = (spec as { aliases?: string[] } | null) ?? null;
  }
  result[WORKSPACE_NETWORK] = { aliases: [namespaced(project, shortName)] };
  if (hasOwnNetwork) {
    const own = result[project] ?? {};
    result[project] = { ...own, aliases: [...new Set([...(own.aliases ?? []), shortName])] };
  }
  return sortKeys(result);
}

function networkSpec(
  grant: NetworkGrant,
  labels: Record<string, string>,
  key: string,
  declared: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    ...declared,
    name: grant.name,
    driver: declared.driver ?? 'bridge',
    ipam: { config: [{ subnet: grant.subnet, gateway: grant.gateway }] },
    labels: { ...asMapping(declared.labels, 'labels'), ...labels, [LABEL.network]: key },
  };
}

function sortKeys<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}

function dropEmpty(model: ComposeFile): ComposeFile {
  return Object.fromEntries(
    Object.entries(model).filter(
      ([, value]) => !(value && typeof value === 'object' && Object.keys(value).length === 0),
    ),
  );
}
