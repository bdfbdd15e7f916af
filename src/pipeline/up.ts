import { LABEL } from '../model/labels.js';
import { apply, type ApplyReporter, type ApplyResult } from '../execute/apply.js';
import type { Desired } from '../reconcile/desired.js';
import type { Engine, ObservedImage } from '../engine/engine.js';
import { buildHash, buildInputs } from '../engine/build-hash.js';
import { plan, type Observed, type Plan } from '../reconcile/plan.js';
import type { PortProbe } from '../allocation/ports/probe.js';
import { EngineError } from '../errors/envctl-error.js';
import { parseCidr } from '../util/cidr.js';
import type { HostRoute, RouteSource } from '../allocation/network/host-routes.js';
import type { Workspace } from '../workspace/load.js';
import { renderWorkspace, type RenderEdges } from './render-workspace.js';
import { desiredOf } from './desired-of.js';
import type { RenderOutcome } from '../merge/render-outcome.js';

export interface UpOptions {
  only?: ReadonlySet<string>;
  cpuOnly?: boolean;
  build?: boolean;
  /** Write nothing and change nothing: return the plan. */
  dryRun?: boolean;
}

export interface UpOutcome {
  render: RenderOutcome;
  desired: Desired;
  plan: Plan;
  result: ApplyResult | undefined;
  /** Host ports that were taken between allocation and start, and moved. */
  movedPorts: number[];
}

/** How often a port or subnet taken at the last moment is allocated again before up gives up. */
const RETRIES = 3;

/**
 * envctl up: render (allocating under the lock), compare with what the engine holds, apply the difference.
 * A host port taken between allocation and start is marked busy and the whole pipeline runs again: the
 * plan is idempotent, so only what failed is retried.
 */
export async function up(
  workspace: Workspace,
  edges: RenderEdges & { engine: Engine },
  persist: (outcome: RenderOutcome) => void,
  reporter: ApplyReporter,
  options: UpOptions = {},
): Promise<UpOutcome> {
  const taken = new Set<number>();
  const ports: PortProbe = {
    isFree: async (port, protocol) => !taken.has(port) && (await edges.ports.isFree(port, protocol)),
  };
  // Subnets another workspace took at the same moment count as routed, so allocation steps round them.
  const takenSubnets: HostRoute[] = [];
  const routes: RouteSource = { routes: async () => [...(await edges.routes.routes()), ...takenSubnets] };
  for (let attempt = 0; ; attempt++) {
    let desired: Desired | undefined;
    const render = await renderWorkspace(
      workspace,
      { ...edges, ports, routes },
      options.dryRun ? () => undefined : persist,
      {
        enforceGpus: true,
        cpuOnly: options.cpuOnly,
        check: (outcome) => {
          desired = hashBuilds(desiredOf(workspace, edges.store.composeDir, outcome));
        },
      },
    );
    if (!desired) throw new Error('render returned without its check');
    const observed = await observe(edges.engine, workspace.root, desired);
    const thePlan = plan(desired, observed, { only: options.only, build: options.build });
    if (options.dryRun) return { render, desired, plan: thePlan, result: undefined, movedPorts: [...taken] };
    const result = await apply(thePlan, edges.engine, reporter);
    const stolen = result.failures
      .map((failure) => failure.portTaken)
      .filter((port): port is number => port !== undefined);
    if ((stolen.length === 0 && result.subnetsTaken.length === 0) || attempt >= RETRIES) {
      if (result.subnetsTaken.length)
        throw new EngineError(
          `The subnets ${result.subnetsTaken.join(', ')} were taken by other networks each time envctl tried.`,
          { hint: 'Run envctl up again, or set networks.range in workspace.yml to a range nothing else uses.' },
        );
      return { render, desired, plan: thePlan, result, movedPorts: [...taken] };
    }
    for (const subnet of result.subnetsTaken) {
      takenSubnets.push({ cidr: parseCidr(subnet), device: 'taken-at-creation' });
      reporter.change(null, `subnet ${subnet} was taken by another network at the last moment; allocating another`);
    }
    for (const port of stolen) {
      taken.add(port);
      reporter.change(null, `host port ${port} was taken by someone else at the last moment; allocating another`);
    }
  }
}

/** Each build's input hash, and the paths it read for the up stamp. */
function hashBuilds(desired: Desired): Desired {
  for (const { build } of desired.services) {
    if (!build) continue;
    // Read once: for the hash, the up stamp and the watcher.
    build.inputs = buildInputs(build);
    build.hash = buildHash(build, build.inputs);
  }
  return desired;
}

async function observe(engine: Engine, root: string, desired: Desired): Promise<Observed> {
  const [containers, networks, volumes] = await Promise.all([
    engine.containers(LABEL.root, root),
    engine.allNetworks(),
    engine.volumes(LABEL.root, root),
  ]);
  const references = [...new Set(desired.services.map((service) => service.image))];
  const images = new Map<string, ObservedImage>();
  await Promise.all(
    references.map(async (reference) => {
      const image = await engine.image(reference);
      if (image) images.set(reference, image);
    }),
  );
  return { containers, networks, volumes, images };
}
