import { LABEL } from '../engine/labels.js';
import type { Engine } from '../engine/engine.js';

export interface DownOptions {
  only?: ReadonlySet<string>;
  volumes?: boolean;
}

export interface DownReport {
  removed: string[];
  /** Networks left in place because containers envctl did not make use them. */
  keptNetworks: Array<{ name: string; users: number }>;
}

/**
 * envctl down: stop and remove the workspace's containers (or the named projects'), then the networks envctl
 * made for them; named volumes only when asked. Found by labels alone, so it works even when which-project
 * no longer parses, and after an interrupted up. Project folders are never touched.
 */
export async function down(engine: Engine, root: string, options: DownOptions, report: (line: string) => void): Promise<DownReport> {
  const inScope = (labels: Record<string, string>) => !options.only || options.only.has(labels[LABEL.project] ?? '');
  const containers = (await engine.containers(LABEL.root, root)).filter((container) => inScope(container.labels));
  const removed: string[] = [];
  await Promise.all(
    containers.map(async (container) => {
      if (container.state === 'running') await engine.stopContainer(container.id);
      await engine.removeContainer(container.id);
      removed.push(container.name);
      report(`removed ${container.name}`);
    }),
  );

  const remaining = options.only ? await engine.containers(LABEL.root, root) : [];
  const keptNetworks: DownReport['keptNetworks'] = [];
  const networks = (await engine.allNetworks()).filter((network) => network.labels[LABEL.root] === root);
  for (const network of networks) {
    const isWorkspaceNetwork = network.labels[LABEL.project] === undefined;
    if (options.only && (isWorkspaceNetwork ? remaining.length > 0 : !inScope(network.labels))) continue;
    const users = await engine.networkContainers(network.name);
    if (users.length) {
      keptNetworks.push({ name: network.name, users: users.length });
      report(`left network ${network.name} in place: ${users.length} container(s) envctl did not make still use it`);
      continue;
    }
    await engine.removeNetwork(network.name);
    report(`removed network ${network.name}`);
  }

  if (options.volumes) {
    for (const volume of (await engine.volumes(LABEL.root, root)).filter((v) => inScope(v.labels))) {
      await engine.removeVolume(volume.name);
      report(`removed volume ${volume.name}`);
    }
  }
  return { removed, keptNetworks };
}
