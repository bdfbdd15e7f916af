import protobuf from 'protobufjs/light.js';

/**
 * BuildKit's progress, as the Engine API sends it during a `version=2` build: `{"id":"moby.buildkit.trace",
 * "aux":"<base64>"}`, each aux a protobuf moby.buildkit.v1.StatusResponse. The fields read here, with their
 * numbers, from github.com/moby/buildkit api/services/control/control.proto (Vertex, VertexStatus, VertexLog)
 * and google/protobuf/timestamp.proto; recorded streams in test/fixtures/buildkit.
 */
const STATUS_RESPONSE = protobuf.Root.fromJSON({
  nested: {
    Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
    Vertex: {
      fields: {
        digest: { type: 'string', id: 1 },
        name: { type: 'string', id: 3 },
        cached: { type: 'bool', id: 4 },
        started: { type: 'Timestamp', id: 5 },
        completed: { type: 'Timestamp', id: 6 },
        error: { type: 'string', id: 7 },
      },
    },
    VertexStatus: {
      fields: {
        ID: { type: 'string', id: 1 },
        vertex: { type: 'string', id: 2 },
        current: { type: 'int64', id: 4 },
        total: { type: 'int64', id: 5 },
        completed: { type: 'Timestamp', id: 8 },
      },
    },
    VertexLog: {
      fields: {
        vertex: { type: 'string', id: 1 },
        timestamp: { type: 'Timestamp', id: 2 },
        stream: { type: 'int64', id: 3 },
        msg: { type: 'bytes', id: 4 },
      },
    },
    StatusResponse: {
      fields: {
        vertexes: { rule: 'repeated', type: 'Vertex', id: 1 },
        statuses: { rule: 'repeated', type: 'VertexStatus', id: 2 },
        logs: { rule: 'repeated', type: 'VertexLog', id: 3 },
      },
    },
  },
}).lookupType('StatusResponse');

/** The id of the build stream's messages that carry BuildKit's progress. */
export const BUILDKIT_TRACE = 'moby.buildkit.trace';

export interface TraceVertex {
  digest: string;
  name: string;
  cached: boolean;
  /** Milliseconds since the epoch. */
  started?: number;
  completed?: number;
  error?: string;
}

export interface TraceStatus {
  vertex: string;
  id: string;
  current?: number;
  total?: number;
  done: boolean;
}

export interface TraceLog {
  vertex: string;
  /** Milliseconds since the epoch. */
  at: number;
  text: string;
}

/** One StatusResponse: the vertices that changed, the progress of their parts, their output. */
export interface TraceUpdate {
  vertexes: TraceVertex[];
  statuses: TraceStatus[];
  logs: TraceLog[];
}

interface Timestamp {
  seconds?: number;
  nanos?: number;
}

interface RawUpdate {
  vertexes?: Array<Omit<TraceVertex, 'started' | 'completed'> & { started?: Timestamp; completed?: Timestamp }>;
  statuses?: Array<{ ID?: string; vertex?: string; current?: number; total?: number; completed?: Timestamp }>;
  logs?: Array<{ vertex?: string; timestamp?: Timestamp; msg?: Uint8Array }>;
}

function millis(timestamp: Timestamp | undefined): number | undefined {
  if (!timestamp) return undefined;
  return (timestamp.seconds ?? 0) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6);
}

/** Decodes one trace message's aux (base64 protobuf). */
export function decodeTrace(aux: string): TraceUpdate {
  const decoded = STATUS_RESPONSE.decode(Buffer.from(aux, 'base64'));
  const raw = STATUS_RESPONSE.toObject(decoded, { longs: Number, bytes: Buffer }) as RawUpdate;
  return {
    vertexes: (raw.vertexes ?? []).map(({ digest, name, cached, started, completed, error }) => ({
      digest,
      name,
      cached: cached === true,
      ...(millis(started) !== undefined ? { started: millis(started) } : {}),
      ...(millis(completed) !== undefined ? { completed: millis(completed) } : {}),
      ...(error ? { error } : {}),
    })),
    statuses: (raw.statuses ?? []).map(({ ID, vertex, current, total, completed }) => ({
      vertex: vertex ?? '',
      id: ID ?? '',
      ...(current ? { current } : {}),
      ...(total ? { total } : {}),
      done: completed !== undefined,
    })),
    logs: (raw.logs ?? []).map(({ vertex, timestamp, msg }) => ({
      vertex: vertex ?? '',
      at: millis(timestamp) ?? 0,
      text: Buffer.from(msg ?? []).toString('utf8'),
    })),
  };
}

/** A build's output line; `step` when the line begins a step: its name, "[2/4] RUN pip install ...". */
export interface BuildLine {
  text: string;
  step?: string;
}

/** What a build's reader knows when the build fails: the step that failed and, for a FROM, its image. */
export interface BuildFailurePoint {
  readonly failedStep: string | undefined;
  readonly pullingBase: string | undefined;
  /** What the failed step itself says went wrong, where the reader knows it. */
  readonly failedError?: string | undefined;
}

/**
 * BuildKit's vertices as the lines of `docker build --progress=plain`, which Docker users read already:
 * "#5 [2/3] RUN echo hi", "#5 0.271 hi", "#5 DONE 0.3s", "#5 CACHED", "#5 ERROR: ...". Vertices are numbered in
 * the order they first appear; a log line is timed from its vertex's start.
 */
export class BuildTranscript implements BuildFailurePoint {
  private readonly numbers = new Map<string, number>();
  private readonly seen = new Map<string, { started?: number; said: Set<string> }>();
  private readonly partial = new Map<string, string>();
  private failed: TraceVertex | undefined;

  get failedStep(): string | undefined {
    return this.failed?.name;
  }

  /** The image a failed FROM (or its metadata lookup) names, as the user would write it. */
  get pullingBase(): string | undefined {
    return this.failedImage?.replace(/^docker\.io\/(library\/)?/, '');
  }

  /** The failed vertex's error, less the image name BuildKit puts first ("127.0.0.1:5000/x:1: not found"). */
  get failedError(): string | undefined {
    const error = this.failed?.error;
    const image = this.failedImage;
    return image && error?.startsWith(`${image}: `) ? error.slice(image.length + 2) : error;
  }

  /** The image of a failed FROM or metadata lookup, as BuildKit names it ("docker.io/library/python:3.11"). */
  private get failedImage(): string | undefined {
    const name = this.failed?.name ?? '';
    return /^\[internal\] load metadata for (\S+)/.exec(name)?.[1] ?? /^\[[^\]]*\] FROM (\S+)/.exec(name)?.[1];
  }

  read(update: TraceUpdate, emit: (line: BuildLine) => void): void {
    for (const vertex of update.vertexes) this.readVertex(vertex, emit);
    for (const status of update.statuses)
      if (status.done && this.once(status.vertex, `status ${status.id}`))
        emit({ text: `#${this.number(status.vertex)} ${status.id} done` });
    for (const log of update.logs) this.readLog(log, emit);
  }

  private readVertex(vertex: TraceVertex, emit: (line: BuildLine) => void): void {
    const state = this.state(vertex.digest);
    const tag = `#${this.number(vertex.digest)}`;
    if (vertex.started !== undefined && this.once(vertex.digest, 'started')) {
      state.started = vertex.started;
      emit({ text: `${tag} ${vertex.name}`, step: vertex.name });
    }
    if (vertex.cached && this.once(vertex.digest, 'cached')) emit({ text: `${tag} CACHED` });
    if (vertex.completed === undefined || !this.once(vertex.digest, 'completed')) return;
    this.flush(vertex.digest, emit);
    if (vertex.error) {
      this.failed ??= vertex;
      emit({ text: `${tag} ERROR: ${vertex.error}` });
    } else if (!vertex.cached) {
      const seconds = (vertex.completed - (vertex.started ?? vertex.completed)) / 1000;
      emit({ text: `${tag} DONE ${seconds.toFixed(1)}s` });
    }
  }

  private readLog(log: TraceLog, emit: (line: BuildLine) => void): void {
    const lines = ((this.partial.get(log.vertex) ?? '') + log.text).split(/\r?\n/);
    this.partial.set(log.vertex, lines.pop() ?? '');
    const started = this.state(log.vertex).started ?? log.at;
    const at = ((log.at - started) / 1000).toFixed(3);
    for (const line of lines) emit({ text: `#${this.number(log.vertex)} ${at} ${line}` });
  }

  private flush(digest: string, emit: (line: BuildLine) => void): void {
    const rest = this.partial.get(digest);
    if (rest) emit({ text: `#${this.number(digest)} ${rest}` });
    this.partial.delete(digest);
  }

  private number(digest: string): number {
    if (!this.numbers.has(digest)) this.numbers.set(digest, this.numbers.size + 1);
    return this.numbers.get(digest)!;
  }

  private state(digest: string) {
    if (!this.seen.has(digest)) this.seen.set(digest, { said: new Set() });
    return this.seen.get(digest)!;
  }

  /** True the first time a vertex reaches a point (started, cached, completed): the engine repeats vertices. */
  private once(digest: string, point: string): boolean {
    const { said } = this.state(digest);
    if (said.has(point)) return false;
    said.add(point);
    return true;
  }
}
