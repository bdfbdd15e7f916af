import { EngineError, EnvctlError } from '../errors/envctl-error.js';
import type { DesiredService } from '../reconcile/desired.js';
import type { Engine } from '../engine/engine.js';
import { describePulled, PullTally } from './pull-tally.js';
import { ENVCTL_BUILD_HASH, LABEL } from '../model/labels.js';
import {
  BuildKitUnavailableError,
  NoGpuRuntimeError,
  PortTakenError,
  SubnetTakenError,
} from '../engine/engine-errors.js';
import type { BuildLine } from '../engine/buildkit-trace.js';
import type { ContainerStep, ImageStep, Plan, ProjectPlan } from '../reconcile/plan.js';
import { waitForCondition } from './wait-condition.js';
import { settle, type SettleOptions, type StartedContainer } from './settle.js';
import { attemptAll, removeNetworks, type TeardownFailure } from './teardown.js';
import { NETWORK_ENDPOINTS_GO } from '../reconcile/retry-policy.js';

/**
 * An image's progress: its pull or build starting (no tally, no line), then the pull's tally after each of its
 * events, or each build output line.
 * A terminal shows one line per image updated in place; piped output shows only the start.
 */
export interface ImageProgress {
  image: string;
  action: 'pull' | 'build';
  /** Why it is built (a build's start). */
  reason?: string;
  /** The pull's layers and bytes so far (one tally, read when drawn). */
  tally?: Pick<PullTally, 'state'>;
  line?: string;
  /** The build step this line begins ("[2/4] RUN pip install ..."). */
  step?: string;
  /** The pull or build ended, either way: its change, or the project's failure, follows. */
  finished?: true;
}

/** Where apply reports progress: one line per change, and the progress of builds and pulls. */
export interface ApplyReporter {
  change(project: string | null, text: string): void;
  progress(project: string, progress: ImageProgress): void;
  /** Something the user should know that changes nothing: said once (the engine builds without BuildKit). */
  warning(message: string): void;
}

export interface ProjectFailure {
  project: string;
  error: Error;
  /** Its containers that still run after the failure (a failed rebuild leaves the old one serving). */
  stillRunning: string[];
}

export interface ApplyResult {
  changes: number;
  /** Subnets another network took between allocation and creation (another workspace's up, at the same moment). */
  subnetsTaken: string[];
  failures: ProjectFailure[];
  /** Removals (of containers and networks no longer wanted) that failed; everything else was attempted. */
  removalFailures: TeardownFailure[];
  /** Containers this run started, for a foreground up to stop on Ctrl+C. */
  started: Array<{ id: string; service: DesiredService }>;
}

/**
 * The apply stage: carries out a plan through the engine. Shared objects (networks, volumes) first, then
 * every project in parallel, each in dependency order. A project whose step fails has the containers this
 * run made for it removed; the other projects go on.
 */
export async function apply(
  plan: Plan,
  engine: Engine,
  reporter: ApplyReporter,
  settling?: SettleOptions,
): Promise<ApplyResult> {
  let changes = 0;
  const changed = (project: string | null, text: string) => {
    changes += 1;
    reporter.change(project, text);
  };

  const removalFailures = await attemptAll(
    plan.removeContainers,
    ({ container }) => `container ${container.name}`,
    async ({ container, reason }) => {
      await engine.removeContainer(container.id);
      changed(container.labels[LABEL.project] ?? null, `removed ${container.name} (${reason})`);
    },
  );
  for (const { network, users } of plan.recreateNetworks) {
    for (const container of users) await engine.removeContainer(container.id);
    await engine.removeNetwork(network.name, NETWORK_ENDPOINTS_GO.delaysMs);
  }
  const subnetsTaken: string[] = [];
  const networks = [...plan.recreateNetworks.map(({ network }) => network), ...plan.createNetworks];
  await Promise.all(
    networks.map(async (network) => {
      const subnet = network.create.IPAM?.Config?.[0]?.Subnet;
      try {
        await engine.createNetwork(network.create);
      } catch (error) {
        // Reported, not retried here: reconcile (nextAttempt) decides what happens next.
        if (!(error instanceof SubnetTakenError)) throw error;
        subnetsTaken.push(error.subnet);
        return;
      }
      changed(network.project ?? null, `created network ${network.name}${subnet ? ` (${subnet})` : ''}`);
    }),
  );
  if (subnetsTaken.length) return { changes, subnetsTaken, failures: [], started: [], removalFailures };
  await Promise.all(
    plan.createVolumes.map(async (volume) => {
      await engine.createVolume(volume.create);
      changed(volume.project ?? null, `created volume ${volume.name}`);
    }),
  );

  const started: ApplyResult['started'] = [];
  const failures: ProjectFailure[] = [];
  await Promise.all(
    [...plan.projects].map(async ([project, projectPlan]) => {
      const made: string[] = [];
      try {
        await applyProject(project, projectPlan, { engine, reporter, changed, settling }, made, started);
      } catch (error) {
        if (projectPlan.onFailure === 'remove-made')
          await Promise.all(made.map((id) => engine.removeContainer(id).catch(() => undefined)));
        failures.push({ project, error: error as Error, stillRunning: await stillRunning(projectPlan, engine) });
      }
    }),
  );

  removalFailures.push(...(await removeNetworks(plan.removeNetworks, engine, changed)).failures);
  return { changes, subnetsTaken, failures, started, removalFailures };
}

interface ApplyContext {
  engine: Engine;
  reporter: ApplyReporter;
  changed: (project: string | null, text: string) => void;
  settling: SettleOptions | undefined;
}

async function applyProject(
  project: string,
  projectPlan: ProjectPlan,
  { engine, reporter, changed, settling }: ApplyContext,
  made: string[],
  started: ApplyResult['started'],
): Promise<void> {
  for (const step of projectPlan.images) {
    const { service } = step;
    if (step.kind === 'build') {
      await build(project, step, { engine, reporter });
      changed(project, `built ${service.image}${step.noCache ? ' without cache' : ''}`);
    } else if (step.kind === 'tag') {
      await engine.tagImage(step.imageId, service.image);
      changed(project, `tagged ${service.image} (${step.reason})`);
    } else {
      reporter.progress(project, { image: service.image, action: 'pull' });
      const tally = new PullTally();
      try {
        await engine.pullImage(service.image, (event) => {
          tally.add(event);
          reporter.progress(project, { image: service.image, action: 'pull', tally });
        });
      } finally {
        reporter.progress(project, { image: service.image, action: 'pull', finished: true });
      }
      changed(project, `pulled ${service.image} (${describePulled(tally.state())})`);
    }
  }
  const startedHere: StartedContainer[] = [];
  for (const level of projectPlan.levels) {
    const steps = await Promise.all(level.map((step) => applyStep(step, engine, changed, made, started)));
    startedHere.push(...steps.flatMap((step) => (step ? [step] : [])));
  }
  if (settling) await settle(engine, startedHere, settling);
}

async function applyStep(
  step: ContainerStep,
  engine: Engine,
  changed: (project: string | null, text: string) => void,
  made: string[],
  started: ApplyResult['started'],
): Promise<StartedContainer | undefined> {
  const { service } = step;
  if (step.kind === 'keep') return undefined;
  if (step.kind === 'start') {
    for (const dependency of service.waitFor) await waitForCondition(engine, service.containerName, dependency);
    const restartsBefore = (await engine.inspectContainer(step.container.id)).RestartCount ?? 0;
    await engine.startContainer(step.container.id);
    started.push({ id: step.container.id, service });
    changed(service.project, `started ${service.containerName} (${step.reason})`);
    return { id: step.container.id, name: service.containerName, restartsBefore };
  }
  if (step.kind === 'recreate') {
    await engine.stopContainer(step.container.id);
    await engine.removeContainer(step.container.id);
  }
  const id = await engine.createContainer(service.containerName, service.create);
  made.push(id);
  for (const network of service.networks.slice(1)) await engine.connectNetwork(network.name, id, network.aliases);
  for (const dependency of service.waitFor) await waitForCondition(engine, service.containerName, dependency);
  try {
    await engine.startContainer(id);
  } catch (error) {
    throw explainStartFailure(service, error as Error);
  }
  started.push({ id, service });
  changed(
    service.project,
    `${step.kind === 'create' ? 'created' : 'recreated'} ${service.containerName}${step.kind === 'recreate' ? ` (${step.reason})` : ''}`,
  );
  return { id, name: service.containerName, restartsBefore: 0 };
}

/** The names of a failed project's containers, from before this run, that run still. */
async function stillRunning(projectPlan: ProjectPlan, engine: Engine): Promise<string[]> {
  const before = projectPlan.levels.flat().flatMap((step) => (step.kind === 'create' ? [] : [step.container]));
  const running = await Promise.all(
    before.map((container) =>
      engine.inspectContainer(container.id).then(
        (info) => info.State?.Running === true,
        () => false,
      ),
    ),
  );
  return before.filter((_, index) => running[index]).map((container) => container.name);
}

/** The output a failed build shows: all of it, but for a build that wrote more than this many lines. */
const BUILD_TAIL = 400;

/** Engines found to build only with the classic builder: tried once with BuildKit, said once. */
const classicOnly = new WeakSet<Engine>();

/** Builds a service's image, with BuildKit unless the engine has none (then with the classic builder, said once). */
async function build(
  project: string,
  step: Extract<ImageStep, { kind: 'build' }>,
  { engine, reporter }: Pick<ApplyContext, 'engine' | 'reporter'>,
): Promise<void> {
  const { service } = step;
  const started = { image: service.image, action: 'build' } as const;
  reporter.progress(project, { ...started, reason: step.reason });
  const tail: string[] = [];
  const onLine = ({ text, step: name }: BuildLine) => {
    tail.push(text);
    if (tail.length > BUILD_TAIL) tail.shift();
    reporter.progress(project, { ...started, line: text, ...(name ? { step: name } : {}) });
  };
  // The workspace's labels too, so that its images can be found (and cleaned up) as its containers are.
  const workspace = Object.fromEntries(
    [LABEL.workspace, LABEL.root].flatMap((key) =>
      service.create.Labels?.[key] ? [[key, service.create.Labels[key]]] : [],
    ),
  );
  const options = {
    ...service.build!,
    tag: service.image,
    labels: { ...workspace, [LABEL.project]: project, [ENVCTL_BUILD_HASH]: service.build!.hash ?? '' },
    ...(step.noCache ? { noCache: true } : {}),
  };
  try {
    if (classicOnly.has(engine)) return await engine.buildImage({ ...options, builder: 'classic' }, onLine);
    try {
      await engine.buildImage({ ...options, builder: 'buildkit' }, onLine);
    } catch (error) {
      if (!(error instanceof BuildKitUnavailableError)) throw error;
      // Projects build side by side: the first to find out says it.
      if (!classicOnly.has(engine)) reporter.warning(`${error.message} ${error.hint}`);
      classicOnly.add(engine);
      tail.length = 0;
      await engine.buildImage({ ...options, builder: 'classic' }, onLine);
    }
  } catch (error) {
    throw withBuildOutput(error as Error, tail);
  } finally {
    reporter.progress(project, { ...started, finished: true });
  }
}

/** A failed build's message with its output, which says why: a terminal showed only one line of it. */
function withBuildOutput(error: Error, tail: readonly string[]): Error {
  if (!(error instanceof EnvctlError) || tail.length === 0) return error;
  const output = tail.map((line) => `    ${line}`).join('\n');
  const title = tail.length === BUILD_TAIL ? `Last ${BUILD_TAIL} lines of the build` : 'The build';
  return new EngineError(`${error.message}\n  ${title}:\n${output}`, { hint: error.hint, cause: error });
}

function explainStartFailure(service: DesiredService, error: Error): Error {
  if (error instanceof PortTakenError) return error;
  if (error instanceof NoGpuRuntimeError)
    return new EngineError(`${service.containerName} asks for a GPU: ${error.message}`, {
      cause: error,
      hint: error.hint,
    });
  return error instanceof EnvctlError
    ? error
    : new EngineError(`${service.containerName} did not start: ${error.message}`, { cause: error });
}
