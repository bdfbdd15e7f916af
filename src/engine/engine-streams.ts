import type Docker from 'dockerode';
import type { Readable } from 'node:stream';

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
