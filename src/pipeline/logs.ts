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
export function streamLogs(
  engine: Engine,
  containers: readonly ObservedContainer[],
  options: LogOptions,
  printer: LinePrinter,
): Promise<LogStream[]> {
  return streamEach(containers, (container, onLine) => engine.logs(container.id, options, onLine), printer);
}

/** Streams each item's output to the printer, prefixed as one batch. */
export function streamEach<T extends Labelled>(
  items: readonly T[],
  open: (item: T, onLine: (line: string, stream: 'stdout' | 'stderr') => void) => Promise<LogStream>,
  printer: LinePrinter,
): Promise<LogStream[]> {
  const print = printer(items);
  return Promise.all(items.map((item, index) => open(item, (line, stream) => print(index, line, stream))));
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

/** How a followed thing's output is read: a container's from its engine, a service's from the swarm. */
export type LogSource<T> = (
  item: T,
  options: LogOptions,
  onLine: (line: string, stream: 'stdout' | 'stderr') => void,
) => Promise<LogStream>;

/**
 * Follows the output of the workspace's containers (or a swarm's services), taking on new ones as a watch
 * reconcile starts them.
 */
export class LogFollower<T extends Labelled & { id: string } = ObservedContainer> {
  private readonly streams = new Map<string, LogStream>();

  constructor(
    private readonly source: LogSource<T>,
    private readonly printer: LinePrinter,
  ) {}

  /** A follower of an engine's containers. */
  static ofEngine(engine: Engine, printer: LinePrinter): LogFollower {
    return new LogFollower<ObservedContainer>(
      (container, options, onLine) => engine.logs(container.id, options, onLine),
      printer,
    );
  }

  async attach(items: readonly T[], since: number): Promise<void> {
    const fresh = items.filter((item) => !this.streams.has(item.id));
    const options = { follow: true, since };
    const streams = await streamEach(fresh, (item, onLine) => this.source(item, options, onLine), this.printer);
    fresh.forEach((item, index) => this.streams.set(item.id, streams[index]!));
  }

  /** Settles when every followed container has stopped. */
  allDone(): Promise<unknown> {
    return Promise.all([...this.streams.values()].map((stream) => stream.done));
  }

  stop(): void {
    for (const stream of this.streams.values()) stream.stop();
  }
}
