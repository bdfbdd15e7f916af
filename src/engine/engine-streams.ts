import type Docker from 'dockerode';
import type DockerModem from 'docker-modem';
import { PassThrough, type Readable } from 'node:stream';
import type { LogOptions, LogStream, PullEvent } from './engine.js';

/** The first line of an engine error, without dockerode's "(HTTP code 400) bad parameter - " in front. */
export function firstLine(error: unknown): string {
  const text = (error as { json?: { message?: string } }).json?.message ?? (error as Error).message ?? String(error);
  return text.split('\n')[0]!.replace(/^\(HTTP code \d+\) [a-z ]+ - /, '');
}

/** Resolves when a build, pull or load stream ends; rejects on the error the engine reports in the stream. */
export function followEvents<T>(docker: Docker, stream: Readable, onEvent: (event: T) => void): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
        const failed = output?.find((event) => event.error);
        if (error) reject(error);
        else if (failed) reject(new Error(failed.errorDetail?.message ?? failed.error));
        else resolvePromise();
      },
      onEvent,
    );
  });
}

/** A pull's progress message as the engine writes it (docker/docker's jsonmessage.JSONMessage). */
export interface PullMessage {
  id?: string;
  status?: string;
  progressDetail?: { current?: number; total?: number };
}

export function pullEventOf(message: PullMessage): PullEvent {
  const { current, total } = message.progressDetail ?? {};
  // The image's own lines ("Pulling from library/python", "Digest: ...", "Status: ...") carry the tag as id.
  const layer = message.id && /^[0-9a-f]{12,}$/.test(message.id) ? message.id : undefined;
  return {
    status: message.status!,
    ...(layer ? { layer } : {}),
    ...(current !== undefined ? { current } : {}),
    ...(total !== undefined && total > 0 ? { total } : {}),
  };
}

/** A stream that calls onLine for each line written to it, the last one too. */
export function lineSplitter(onLine: (line: string) => void): PassThrough {
  const stream = new PassThrough();
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) onLine(line.replace(/\r$/, ''));
  });
  stream.on('end', () => {
    if (rest) onLine(rest);
  });
  return stream;
}

/** A container's output stream split into stdout and stderr (one stream on a TTY), and how to stop reading it. */
/** The Engine API's log query (containers' and services' alike) for envctl's options. */
export function logQuery(options: LogOptions) {
  return { follow: options.follow, stdout: true, stderr: true, tail: options.tail ?? 'all', since: options.since ?? 0 };
}

/** A log answer (a stream when followed, a buffer when not) read line by line, demultiplexed unless a TTY's. */
export function logLines(
  docker: Docker,
  raw: Readable | Buffer,
  tty: boolean,
  onLine: (line: string, stream: 'stdout' | 'stderr') => void,
): LogStream {
  const stream = Buffer.isBuffer(raw) ? new PassThrough().end(raw) : raw;
  const out = lineSplitter((line) => onLine(line, 'stdout'));
  const err = lineSplitter((line) => onLine(line, 'stderr'));
  return demux(docker, stream, tty, out, err);
}

export function demux(docker: Docker, raw: Readable, tty: boolean, out: PassThrough, err: PassThrough): LogStream {
  if (tty) raw.pipe(out);
  else docker.modem.demuxStream(raw, out, err);
  const done = new Promise<void>((resolveDone) => {
    const finish = () => {
      out.end();
      err.end();
      resolveDone();
    };
    raw.once('end', finish);
    raw.once('close', finish);
    raw.once('error', finish);
  });
  return { stop: () => raw.destroy(), done };
}

/** One Engine API request through dockerode's modem, for what dockerode's own methods do not send. */
export function dial<T>(docker: Docker, options: DockerModem.DialOptions): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    docker.modem.dial(options, (error: Error | null, answer: unknown) =>
      error ? reject(error) : resolvePromise(answer as T),
    );
  });
}
