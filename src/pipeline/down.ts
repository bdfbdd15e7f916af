import { LABEL } from '../model/labels.js';
import type { Engine, ObservedNetwork } from '../engine/engine.js';
import { attemptAll, teardownError, type TeardownFailure } from '../execute/teardown.js';

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
 * no longer parses, and after an interrupted up. Every container, network and volume in scope is attempted,
 * a few at a time; failures are reported together at the end (exit status 3). Project folders are never touched.
 */
export async function down(
  engine: Engine,
  root: string,
  options: DownOptions,
  report: (line: string) => void,
): Promise<DownReport> {
  const inScope = (labels: Record<string, string>) => !options.only || options.only.has(labels[LABEL.project] ?? '');
  const containers = (await engine.containers(LABEL.root, root)).filter((container) => inScope(container.labels));
  const removed: string[] = [];
  const failures: TeardownFailure[] = await attemptAll(
    containers,
    (container) => `container ${container.name}`,
    async (container) => {
      if (container.state === 'running') await engine.stopContainer(container.id);
      await engine.removeContainer(container.id);
      removed.push(container.name);
      report(`removed ${container.name}`);
    },
  );

  const remaining = options.only ? await engine.containers(LABEL.root, root) : [];
  const keptNetworks: DownReport['keptNetworks'] = [];
  const networks = (await engine.allNetworks()).filter((network) => network.labels[LABEL.root] === root);
  const inScopeNetworks = networks.filter((network) => {
    const isWorkspaceNetwork = network.labels[LABEL.project] === undefined;
    return !options.only || (isWorkspaceNetwork ? remaining.length === 0 : inScope(network.labels));
  });
  failures.push(
    ...(await attemptAll(
      inScopeNetworks,
      (network: ObservedNetwork) => `network ${network.name}`,
      async (network) => {
        const users = await engine.networkContainers(network.name);
        if (users.length) {
          keptNetworks.push({ name: network.name, users: users.length });
          report(
            `left network ${network.name} in place: ${users.length} container(s) envctl did not make still use it`,
          );
          return;
        }
        await engine.removeNetwork(network.name);
        report(`removed network ${network.name}`);
      },
    )),
  );

  if (options.volumes) {
    const volumes = (await engine.volumes(LABEL.root, root)).filter((v) => inScope(v.labels));
    failures.push(
      ...(await attemptAll(
        volumes,
        (volume) => `volume ${volume.name}`,
        async (volume) => {
          await engine.removeVolume(volume.name);
          report(`removed volume ${volume.name}`);
        },
      )),
    );
  }
  if (failures.length) throw teardownError(failures);
  return { removed, keptNetworks };
}
