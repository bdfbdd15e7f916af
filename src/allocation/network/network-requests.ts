import type { ComposeFile } from '../../compose/compose-types.js';
import type { WorkspaceSettings } from '../../workspace/settings.js';
import type { NetworkRequest } from './allocate-subnets.js';
import { prefixFor } from '../../util/cidr.js';

/** Starts with "_", which no project name can, so it never meets a project's network. */
export const WORKSPACE_NETWORK = '_workspace';

/** Network keys: the workspace network, each project's own, and networks a project's compose.yml declares. */
export function networkKey(project?: string, network?: string): string {
  if (project === undefined) return WORKSPACE_NETWORK;
  return network === undefined ? `project:${project}` : `project:${project}:${network}`;
}

/** A project has a network of its own only when it has two or more services to connect. */
export function needsProjectNetwork(fragment: ComposeFile): boolean {
  return Object.keys(fragment.services ?? {}).length >= 2;
}

/** Room for twice the containers the workspace has now, and never less than a /24. */
export function workspacePrefix(serviceCount: number): number {
  return Math.min(24, prefixFor(serviceCount * 2));
}

/**
 * The networks a workspace needs: one for the whole workspace, one per project of two or more
 * services, and one per network a project's compose.yml declares (external ones excepted).
 */
export function networkRequests(
  settings: WorkspaceSettings,
  fragments: ReadonlyMap<string, ComposeFile>,
): NetworkRequest[] {
  if (fragments.size === 0) return [];
  const total = [...fragments.values()].reduce((sum, fragment) => sum + Object.keys(fragment.services ?? {}).length, 0);
  const requests: NetworkRequest[] = [
    { key: networkKey(), name: `envctl_${settings.name}`, prefix: workspacePrefix(total) },
  ];
  for (const [project, fragment] of fragments) {
    const projectPrefix = Math.min(
      settings.networks.projectPrefix,
      prefixFor(Object.keys(fragment.services ?? {}).length * 2),
    );
    if (needsProjectNetwork(fragment)) {
      requests.push({ key: networkKey(project), name: `envctl_${settings.name}_${project}`, prefix: projectPrefix });
    }
    for (const [name, spec] of Object.entries(fragment.networks ?? {})) {
      if (spec?.external) continue;
      requests.push({
        key: networkKey(project, name),
        name: `envctl_${settings.name}_${project}_${name}`,
        prefix: projectPrefix,
      });
    }
  }
  return requests;
}
