import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILDKIT_TRACE, BuildTranscript, decodeTrace, type BuildLine } from '../../src/engine/buildkit-trace.js';
import { REPO } from '../support/workspace.js';

/** A recorded build stream (test/fixtures/buildkit, from dockerd 20.10) through the transcript, line by line. */
function replay(fixture: string): { lines: BuildLine[]; transcript: BuildTranscript; error: string | undefined } {
  const transcript = new BuildTranscript();
  const lines: BuildLine[] = [];
  let error: string | undefined;
  const text = readFileSync(join(REPO, 'test', 'fixtures', 'buildkit', `${fixture}.jsonl`), 'utf8');
  for (const message of text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)) {
    if (message.id === BUILDKIT_TRACE) transcript.read(decodeTrace(message.aux as string), (line) => lines.push(line));
    if (typeof message.error === 'string') error = message.error;
  }
  return { lines, transcript, error };
}

describe('BuildKit trace decoding', () => {
  it('decodes a StatusResponse: vertices with their times, logs with their text', () => {
    const updates = readFileSync(join(REPO, 'test/fixtures/buildkit/failing-run.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { aux?: unknown })
      .filter((m) => typeof m.aux === 'string')
      .map((m) => decodeTrace(m.aux as string));
    expect(updates.find((update) => update.logs.length)!.logs).toEqual([
      { vertex: expect.stringMatching(/^sha256:1ece18d5/), at: 1796243587391, text: 'before the failure\n' },
    ]);
    const failed = updates.flatMap((update) => update.vertexes).find((vertex) => vertex.error)!;
    expect(failed).toMatchObject({
      name: '[3/3] RUN echo failing step output >&2; exit 3',
      cached: false,
      started: 1796243587414,
      completed: 1796243587794,
      error: 'executor failed running [/bin/sh -c echo failing step output >&2; exit 3]: exit code: 3',
    });
  });

  it('writes a successful build as docker build --progress=plain does, each step once, in order', () => {
    const { lines, transcript } = replay('cache-mount-build');
    const texts = lines.map((line) => line.text);
    expect(texts).toContain('#1 [internal] load remote build context');
    const run = texts.findIndex((text) => text.endsWith('[stage-0 2/4] RUN echo hello from run && sleep 1'));
    expect(run).toBeGreaterThan(0);
    const number = /^#(\d+) /.exec(texts[run]!)![1];
    expect(texts.slice(run)).toContain(`#${number} 0.271 hello from run`);
    expect(texts).toContain(`#${number} DONE 1.3s`);
    // The engine repeats a vertex with each change: a step is begun once however often it comes.
    expect(texts.filter((text) => text === '#1 [internal] load remote build context')).toHaveLength(1);
    expect(lines.filter((line) => line.step).map((line) => line.step)).toEqual([
      '[internal] load remote build context',
      'copy /context /',
      '[internal] load metadata for docker.io/library/busybox:latest',
      '[stage-0 1/4] FROM docker.io/library/busybox:latest',
      '[stage-0 2/4] RUN echo hello from run && sleep 1',
      '[stage-0 3/4] RUN --mount=type=cache,target=/cache echo cached > /cache/x && ls /cache',
      '[stage-0 4/4] COPY a.txt /a.txt',
      'exporting to image',
    ]);
    expect(transcript.failedStep).toBeUndefined();
    expect(transcript.pullingBase).toBeUndefined();
  });

  it('names the step that failed and keeps its output, which the error message does not carry', () => {
    const { lines, transcript, error } = replay('failing-run');
    expect(error).toBe('executor failed running [/bin/sh -c echo failing step output >&2; exit 3]: exit code: 3');
    expect(transcript.failedStep).toBe('[3/3] RUN echo failing step output >&2; exit 3');
    const texts = lines.map((line) => line.text);
    expect(texts.some((text) => /^#\d+ \d+\.\d{3} failing step output$/.test(text))).toBe(true);
    expect(texts.at(-1)).toMatch(/^#\d+ ERROR: executor failed running .*exit code: 3$/);
    const from = texts.find((text) => text.endsWith('[1/3] FROM docker.io/library/busybox:latest'))!;
    expect(texts).toContain(`${from.split(' ')[0]} CACHED`);
    expect(transcript.pullingBase).toBeUndefined();
  });

  it('knows a base image that could not be pulled by the metadata lookup that failed, named as the user writes it', () => {
    const { transcript } = replay('unpullable-base');
    expect(transcript.failedStep).toBe('[internal] load metadata for nosuch.invalid/image:1');
    expect(transcript.pullingBase).toBe('nosuch.invalid/image:1');
  });

  it('holds a log line that comes in two messages until it ends', () => {
    const transcript = new BuildTranscript();
    const lines: string[] = [];
    const vertex = { digest: 'd1', name: '[1/1] RUN x', cached: false, started: 1000 };
    const emit = (line: BuildLine) => lines.push(line.text);
    transcript.read(
      { vertexes: [vertex], statuses: [], logs: [{ vertex: 'd1', at: 1500, text: 'Downloading nu' }] },
      emit,
    );
    transcript.read({ vertexes: [], statuses: [], logs: [{ vertex: 'd1', at: 1600, text: 'mpy\ndone\n' }] }, emit);
    transcript.read({ vertexes: [{ ...vertex, completed: 2000 }], statuses: [], logs: [] }, emit);
    expect(lines).toEqual(['#1 [1/1] RUN x', '#1 0.600 Downloading numpy', '#1 0.600 done', '#1 DONE 1.0s']);
  });
});
