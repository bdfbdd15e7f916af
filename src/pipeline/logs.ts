import type { Engine, LogOptions, LogStream } from '../engine/engine.js';
import type { ObservedContainer } from '../engine/observed.js';
import { InputError } from '../errors/envctl-error.js';
import { LABEL } from '../model/labels.js';
import type { Labelled } from './exec.js';

/** Where a batch of containers' lines go: the CLI prefixes and colours them. */
export type LinePrinter = (
  batch: readonly Labelled[],
) => (index: number, line: string, stream: 'stdout' | 'stderr') => void;

/** Streams the output of each container of a batch to the printer. */
export async function streamLogs(
  engine: Engine,
  containers: readonly ObservedContainer[],
  options: LogOptions,
  printer: LinePrinter,
): Promise<LogStream[]> {
  const print = printer(containers);
  return Promise.all(
    containers.map((container, index) =>
      engine.logs(container.id, options, (line, stream) => print(index, line, stream)),
    ),
  );
}

/** The workspace's containers (or a swarm's services) picked by "project" or "project/service"; all when none. */
export function pickContainers<T extends Labelled>(containers: readonly T[], targets: readonly string[]): T[] {
  if (targets.length === 0) return [...containers];
  return targets.flatMap((target) => {
    const [project, service] = target.split('/');
    const picked = containers.filter(
      (c) => c.labels[LABEL.project] === project && (service === undefined || c.labels[LABEL.service] === service),
    );
    if (picked.length === 0) {
      const known = [...new Set(containers.map((c) => `${c.labels[LABEL.project]}/${c.labels[LABEL.service]}`))];
      throw new InputError(`No container of the workspace matches "${target}".`, {
        hint: `Running: ${known.join(', ') || '(none: run envctl up)'}.`,
      });
    }
    return picked;
  });
}

/** The workspace's containers, or those of the projects asked for. */
export async function scopeContainers(
  engine: Engine,
  root: string,
  only: ReadonlySet<string> | undefined,
): Promise<ObservedContainer[]> {
  return (await engine.containers(LABEL.root, root)).filter(
    (container) => !only || only.has(container.labels[LABEL.project] ?? ''),
  );
}

/** Follows the output of the workspace's containers, taking on new ones as a watch reconcile starts them. */
export class LogFollower {
  private readonly streams = new Map<string, LogStream>();

  constructor(
    private readonly engine: Engine,
    private readonly printer: LinePrinter,
  ) {}

  async attach(containers: readonly ObservedContainer[], since: number): Promise<void> {
    const fresh = containers.filter((container) => !this.streams.has(container.id));
    const streams = await streamLogs(this.engine, fresh, { follow: true, since }, this.printer);
    fresh.forEach((container, index) => this.streams.set(container.id, streams[index]!));
  }

  /** Settles when every followed container has stopped. */
  allDone(): Promise<unknown> {
    return Promise.all([...this.streams.values()].map((stream) => stream.done));
  }

  stop(): void {
    for (const stream of this.streams.values()) stream.stop();
  }
}
