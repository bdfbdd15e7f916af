import type { DockerEngine } from '../engine/docker-engine.js';
import { connectSwarm } from '../engine/swarm-engine.js';
import type { Swarm, SwarmNode, SwarmService } from '../engine/swarm.js';
import { applySwarmSteps } from '../execute/swarm-apply.js';
import { LABEL } from '../model/labels.js';
import { swarmStopSteps } from '../reconcile/swarm-steps.js';
import type { Workspace } from '../workspace/load.js';
import type { UpEnd, UpRequest, UpView } from './deployment.js';
import type { EngineChoice } from './edges.js';
import { LogFollower } from './logs.js';
import type { RemoteSession } from './remote-session.js';
import { summarize, type ServerView } from './summary.js';
import type { Forward } from '../remote/tunnels.js';
import { placedGrants, SwarmForwards } from './swarm-forwards.js';
import { nodeAddresses } from './swarm-rows.js';
import type { SwarmUpEvents, SwarmUpOutcome } from './swarm.js';
import { scheduledForeground, watchScheduled } from './scheduled-foreground.js';
import { waitingStopper, type Stopper, type WatchEvents } from './up-session.js';

/** What a swarm up in the foreground (or watching) works with. */
export interface SwarmForegroundContext {
  workspace: Workspace;
  choice: EngineChoice;
  manager: DockerEngine;
  request: UpRequest;
  view: UpView;
  events: Omit<WatchEvents, 'reconciled'> & SwarmUpEvents;
  /** One up on the swarm, as `envctl up -d` runs it. */
  reconcile: (workspace: Workspace, request: UpRequest) => Promise<SwarmUpOutcome>;
}

/**
 * After the first up on a swarm, as on one engine: each project folder kept in sync with its node, each port
 * forwarded to this machine, the services' output followed (without -d), and with --watch every edit deployed.
 * Ctrl+C stops the projects' services (their specs and volumes kept; `up` starts them again); with -d --watch
 * it ends only the watching. Either way each folder is synced once more before envctl exits.
 */
export async function inSwarmForeground(context: SwarmForegroundContext, first: SwarmUpOutcome): Promise<UpEnd> {
  const { workspace, request, view } = context;
  const swarm = await connectSwarm(context.manager);
  const session = new SwarmSession(context, swarm);
  return scheduledForeground({
    begin: () => session.follow(first, Math.floor(request.startedAtMs / 1000), true),
    root: workspace.root,
    request,
    view,
    session,
    watch: () => watchSwarm(context, session, first),
    stopper: serviceStopper(swarm, context, () => session.pauseSyncing()),
    noun: 'service',
  });
}

/** Each batch of edits deploys again; the session follows what it deployed. */
function watchSwarm(context: SwarmForegroundContext, session: SwarmSession, first: SwarmUpOutcome) {
  return watchScheduled({
    ...context,
    first,
    session,
    answers: () => context.manager.answers(),
    followed: async (outcome, workspace, since) => {
      await session.follow(outcome, since, false);
      session.reported(outcome, workspace);
    },
  });
}

/**
 * Ctrl+C: the syncs paused (the last round runs once the tasks ended), then the workspace's services (of `only`)
 * scaled to no task; a second Ctrl+C stops waiting for them.
 */
function serviceStopper(
  swarm: Swarm,
  { workspace, request, events }: SwarmForegroundContext,
  pauseSyncing: () => Promise<void>,
): Stopper {
  return waitingStopper(
    async () => {
      await pauseSyncing();
      const steps = swarmStopSteps(workspace.root, await swarm.services(LABEL.root, workspace.root), request.only);
      await applySwarmSteps(swarm, steps, events);
      return steps.filter((step) => step.kind === 'stop-service').length;
    },
    () => events.warning('envctl no longer waits: the swarm ends the tasks on its own'),
  );
}

/** The forwards, folder syncs and followed output of one foreground swarm up, kept in step with each deploy. */
class SwarmSession {
  private readonly syncs = new Map<string, RemoteSession>();
  private readonly forwards: SwarmForwards;
  private shells = new Map<string, SwarmNodeShell>();
  readonly logs: LogFollower<SwarmService> | undefined;

  constructor(
    private readonly context: SwarmForegroundContext,
    private readonly swarm: Swarm,
  ) {
    const { workspace, choice, request, view } = context;
    this.forwards = new SwarmForwards(workspace, choice, (node) => this.shellOf(node));
    this.logs = request.detach
      ? undefined
      : new LogFollower<SwarmService>(
          (service, options, onLine) => swarm.serviceLogs(service.id, options, onLine),
          view.logPrinter,
        );
  }

  /**
   * After an up: the folder syncs follow the nodes the folders went to, the forwards follow the tasks, the
   * output of new services is followed from `since`; the first time, every project's summary is printed.
   */
  async follow(outcome: SwarmUpOutcome, since: number, first: boolean): Promise<void> {
    const { request, view, workspace } = this.context;
    this.shells = new Map(outcome.reached.map(({ node, reached }) => [node.id, reached]));
    this.followSyncs(outcome.folders.sessions(request.only, view.sync));
    const placed = placedGrants(workspace.root, outcome).filter(({ node }) => this.reachable(node));
    const { udp, changed } = await this.forwards.update(placed);
    for (const grant of udp)
      view.warning(
        `${grant.project}/${grant.service}: UDP port ${grant.host} is not forwarded here (SSH carries TCP only).`,
      );
    if (changed && !first) view.forwarded(this.forwards.forwards);
    if (first) view.summary(this.summaryOf(outcome, workspace, () => true));
    if (this.logs) await this.logs.attach(await this.servicesOf(), since);
  }

  /** A watch deploy's outcome, said like the first up's: failures, or nothing to do, and what it started. */
  reported(outcome: SwarmUpOutcome, workspace: Workspace): void {
    const { view } = this.context;
    view.failed(outcome.failures, []);
    const { plan } = outcome;
    const started = new Set([...plan.create, ...plan.update.map((update) => update.spec)].map((spec) => spec.project));
    if (started.size === 0 && outcome.failures.length === 0) view.note('nothing to do');
    view.summary(this.summaryOf(outcome, workspace, (project) => started.has(project)));
  }

  async pauseSyncing(): Promise<void> {
    await Promise.all([...this.syncs.values()].map((session) => session.stopSyncing()));
  }

  resumeSyncing(): void {
    for (const session of this.syncs.values()) session.start();
  }

  /** Ends the syncs after one last round each (what a task wrote as it stopped comes back), the forwards, logs. */
  async stop(): Promise<void> {
    await this.pauseSyncing();
    for (const session of this.syncs.values()) await session.sync().catch(() => undefined);
    this.logs?.stop();
    await this.forwards.stop();
  }

  private followSyncs(wanted: RemoteSession[]): void {
    const keyOf = (session: RemoteSession) => `${session.hostName}:${[...(session.only ?? [])].sort().join(',')}`;
    const keys = new Set(wanted.map(keyOf));
    for (const [key, session] of this.syncs)
      if (!keys.has(key)) {
        void session.stopSyncing();
        this.syncs.delete(key);
      }
    for (const session of wanted)
      if (!this.syncs.has(keyOf(session))) {
        this.syncs.set(keyOf(session), session);
        session.start();
      }
  }

  private summaryOf(outcome: SwarmUpOutcome, workspace: Workspace, shown: (project: string) => boolean) {
    return swarmSummary(workspace, outcome, this.context.request.only, this.forwards.forwards).filter(({ project }) =>
      shown(project),
    );
  }

  private async servicesOf(): Promise<SwarmService[]> {
    const { request, workspace } = this.context;
    const services = await this.swarm.services(LABEL.root, workspace.root);
    return services.filter((service) => !request.only || request.only.has(service.labels[LABEL.project] ?? ''));
  }

  private reachable(node: SwarmNode): boolean {
    return !(this.shells.get(node.id) instanceof Error);
  }

  private shellOf(node: SwarmNode) {
    const shell = this.shells.get(node.id);
    if (shell === undefined || shell instanceof Error) throw new Error(`node ${node.hostname} is not reached`);
    return Promise.resolve(shell);
  }
}

/**
 * The summary rows of the projects up was asked for and brought up: each URL on the node its task runs on, or
 * the laptop's end of its forward.
 */
export function swarmSummary(
  workspace: Workspace,
  outcome: SwarmUpOutcome,
  only: ReadonlySet<string> | undefined,
  forwards: readonly Forward[] = [],
) {
  const failed = new Set(outcome.failures.map((failure) => failure.project));
  const server: ServerView = {
    ...nodeAddresses(outcome),
    forwards: new Map(forwards.map((forward) => [forward.key, forward.local])),
  };
  return summarize(workspace, outcome.render, server).filter(
    ({ project }) => (!only || only.has(project)) && !failed.has(project),
  );
}

type SwarmNodeShell = SwarmUpOutcome['reached'][number]['reached'];
