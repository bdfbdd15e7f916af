import { apply, type ApplyReporter, type ApplyResult } from '../execute/apply.js';
import type { Desired } from '../reconcile/desired.js';
import type { Engine } from '../engine/engine.js';
import { buildHash, buildInputs } from '../engine/build-hash.js';
import { plan, type Plan } from '../reconcile/plan.js';
import type { PortProbe } from '../allocation/ports/probe.js';
import { nextAttempt } from '../reconcile/next-attempt.js';
import { parseCidr } from '../util/cidr.js';
import type { HostRoute, RouteSource } from '../allocation/network/host-routes.js';
import type { Workspace } from '../workspace/load.js';
import { renderWorkspace, type RenderEdges } from './render-workspace.js';
import { desiredOf } from './desired-of.js';
import type { RenderOutcome } from '../merge/render-outcome.js';
import { observe } from '../engine/observed.js';

export interface UpOptions {
  only?: ReadonlySet<string>;
  cpuOnly?: boolean;
  build?: boolean;
  /** Build without the build cache, cache mounts empty (implies build). */
  noCache?: boolean;
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
          desired = hashBuilds(desiredOf(workspace, edges.store.composeDir, outcome, edges.bindSource));
        },
      },
    );
    if (!desired) throw new Error('render returned without its check');
    const observed = await observe(
      edges.engine,
      workspace.root,
      desired.services.map((service) => service.image),
    );
    const thePlan = plan(desired, observed, { only: options.only, build: options.build, noCache: options.noCache });
    if (options.dryRun) return { render, desired, plan: thePlan, result: undefined, movedPorts: [...taken] };
    const result = await apply(thePlan, edges.engine, reporter, workspace.settings.up);
    const next = nextAttempt(result, attempt);
    if (next.kind === 'give-up') throw next.error;
    if (next.kind === 'done') return { render, desired, plan: thePlan, result, movedPorts: [...taken] };
    for (const subnet of next.subnetsTaken) {
      takenSubnets.push({ cidr: parseCidr(subnet), device: 'taken-at-creation' });
      reporter.change(null, `subnet ${subnet} was taken by another network at the last moment; allocating another`);
    }
    for (const port of next.portsTaken) {
      taken.add(port);
      reporter.change(null, `host port ${port} was taken by someone else at the last moment; allocating another`);
    }
  }
}

/** Each build with its input hash and the paths that hash read (for the up stamp and the watcher): read once. */
export function hashBuilds(desired: Desired): Desired {
  const services = desired.services.map((service) => {
    if (!service.build) return service;
    const inputs = buildInputs(service.build);
    return { ...service, build: { ...service.build, inputs, hash: buildHash(service.build, inputs) } };
  });
  return { ...desired, services };
}
