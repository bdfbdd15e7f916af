import { describe, expect, it } from 'vitest';
import { allocatePorts, portCandidates } from '../../../src/allocation/ports/allocate-ports.js';
import type { PortRequest } from '../../../src/allocation/ports/port-request.js';
import type { PortProbe } from '../../../src/allocation/ports/probe.js';
import { ExhaustedError, InputError } from '../../../src/errors/envctl-error.js';

/** Stands in for the host's sockets in these unit tests; probe.test.ts uses real ones. */
class ListeningPorts implements PortProbe {
  constructor(private readonly busy: Set<number> = new Set()) {}
  async isFree(port: number) {
    return !this.busy.has(port);
  }
}

const range = { from: 8800, to: 8899 };
const request = (project: string, preferred: number | undefined, container = 8888): PortRequest => ({
  key: `${project}/notebook/${container}/tcp`,
  project,
  service: 'notebook',
  name: 'jupyter',
  container,
  protocol: 'tcp',
  preferred,
  bind: '127.0.0.1',
  url: undefined,
});

describe('portCandidates', () => {
  it('starts at the preferred port and wraps round the range', () => {
    expect([...portCandidates(8898, range)].slice(0, 4)).toEqual([8898, 8899, 8800, 8801]);
    expect([...portCandidates(undefined, range)][0]).toBe(8800);
    expect([...portCandidates(3000, range)].slice(0, 2)).toEqual([3000, 8800]);
  });
});

describe('allocatePorts', () => {
  it('releases the port of a renamed service of a listed project, so the new name gets its preferred port', async () => {
    const old = { ...request('a', 8888), key: 'a/jupyter/8888/tcp', service: 'jupyter' };
    const first = await allocatePorts({
      requests: [old, request('b', 9999)],
      previous: new Map(),
      range,
      probe: new ListeningPorts(),
      enginePorts: new Map(),
    });
    expect(first.grants.map((g) => g.host)).toEqual([8888, 9999]);
    // "jupyter" is now "notebook"; project b is no longer listed and keeps its port.
    const renamed = await allocatePorts({
      requests: [request('a', 8888)],
      previous: first.state,
      range,
      probe: new ListeningPorts(),
      enginePorts: new Map(),
      listed: new Set(['a']),
    });
    expect(renamed.grants.map((g) => g.host)).toEqual([8888]);
    expect([...renamed.state.keys()].sort()).toEqual(['a/notebook/8888/tcp', 'b/notebook/8888/tcp']);
  });

  it('gives three projects that all prefer 8888 three distinct ports, and the same three again', async () => {
    const requests = ['a', 'b', 'c'].map((name) => request(name, 8888));
    const first = await allocatePorts({
      requests,
      previous: new Map(),
      range,
      probe: new ListeningPorts(),
      enginePorts: new Map(),
    });
    expect(first.grants.map((g) => g.host)).toEqual([8888, 8889, 8890]);
    const again = await allocatePorts({
      requests: [...requests].reverse(),
      previous: first.state,
      range,
      probe: new ListeningPorts(),
      enginePorts: new Map(),
    });
    expect(Object.fromEntries(again.grants.map((g) => [g.project, g.host]))).toEqual({ a: 8888, b: 8889, c: 8890 });
  });

  it('skips ports the host listens on and ports other containers publish, but not its own container', async () => {
    const probe = new ListeningPorts(new Set([8888]));
    const enginePorts = new Map<number, string | undefined>([
      [8889, undefined],
      [8890, 'b/notebook/8888/tcp'],
    ]);
    const previous = new Map([['b/notebook/8888/tcp', { key: 'b/notebook/8888/tcp', value: 8890, signature: '8888' }]]);
    const result = await allocatePorts({
      requests: [request('a', 8888), request('b', 8888)],
      previous,
      range,
      probe,
      enginePorts,
    });
    expect(Object.fromEntries(result.grants.map((g) => [g.project, g.host]))).toEqual({ a: 8891, b: 8890 });
    // Said once, with the reason: the kept port of b is not news.
    expect(result.notices).toEqual(['8888 is in use by another process: a gets 8891']);
    const again = await allocatePorts({
      requests: [request('a', 8888), request('b', 8888)],
      previous: result.state,
      range,
      probe,
      enginePorts: new Map([...enginePorts, [8891, 'a/notebook/8888/tcp']]),
    });
    expect(again.notices).toEqual([]);
    // envctl ports still says why.
    expect(again.state.get('a/notebook/8888/tcp')?.note).toBe('8888 is in use by another process');
  });

  it('names who holds a preferred port: another project, or another container', async () => {
    const enginePorts = new Map<number, string | undefined>([[8888, undefined]]);
    const result = await allocatePorts({
      requests: [request('a', 8888), request('b', 8889), { ...request('b', 8888, 6006), name: 'board' }],
      previous: new Map(),
      range,
      probe: new ListeningPorts(),
      enginePorts,
    });
    expect(result.notices).toEqual([
      '8888 is published by another container: a gets 8889',
      '8889 is kept for a/notebook: b (jupyter) gets 8890',
      '8888 is published by another container: b (board) gets 8891',
    ]);
  });

  it("counts a port as free when only a container this up removes holds it (a renamed service's)", async () => {
    const result = await allocatePorts({
      requests: [request('a', 8888)],
      previous: new Map([['a/jupyter/8888/tcp', { key: 'a/jupyter/8888/tcp', value: 8888, signature: '8888' }]]),
      range,
      probe: new ListeningPorts(new Set([8888])),
      enginePorts: new Map([[8888, 'a/jupyter/8888/tcp']]),
      listed: new Set(['a']),
    });
    expect(result.grants[0]!.host).toBe(8888);
    expect(result.notices).toEqual([]);
  });

  it('bounds preferred ports by a range workspace.yml sets: a written one refused at its line, a default moved', async () => {
    const written = { ...request('a', 7777), writtenAt: { file: 'projects/a/envctl.yml', line: 2 } };
    const refused = await allocatePorts({
      requests: [written],
      previous: new Map(),
      range,
      probe: new ListeningPorts(),
      enginePorts: new Map(),
      rangeSet: true,
    }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InputError);
    expect((refused as InputError).message).toBe(
      'projects/a/envctl.yml:2: host port 7777 is outside ports.range 8800-8899 of workspace.yml.',
    );
    const moved = await allocatePorts({
      requests: [request('a', 6006)],
      previous: new Map([['a/notebook/8888/tcp', { key: 'a/notebook/8888/tcp', value: 6006, signature: '6006' }]]),
      range,
      probe: new ListeningPorts(),
      enginePorts: new Map(),
      rangeSet: true,
    });
    expect([moved.grants[0]!.host, moved.notices]).toEqual([
      8800,
      ['6006 is outside ports.range 8800-8899: a gets 8800'],
    ]);
    // Without a range in workspace.yml, the default range only governs the ports envctl picks itself.
    const unbounded = await allocatePorts({
      requests: [written],
      previous: new Map(),
      range,
      probe: new ListeningPorts(),
      enginePorts: new Map(),
    });
    expect(unbounded.grants[0]!.host).toBe(7777);
  });

  it('keeps the ports of projects no longer listed reserved, until released', async () => {
    const previous = new Map([
      ['gone/notebook/8888/tcp', { key: 'gone/notebook/8888/tcp', value: 8888, signature: '8888' }],
    ]);
    const result = await allocatePorts({
      requests: [request('new', 8888)],
      previous,
      range,
      probe: new ListeningPorts(),
      enginePorts: new Map(),
    });
    expect(result.grants[0]!.host).toBe(8889);
    expect(result.state.get('gone/notebook/8888/tcp')?.value).toBe(8888);
  });

  it('fails with the setting to change when the range is full', async () => {
    const tiny = { from: 8800, to: 8801 };
    const requests = ['a', 'b', 'c'].map((name) => request(name, 8800));
    const error = await allocatePorts({
      requests,
      previous: new Map(),
      range: tiny,
      probe: new ListeningPorts(),
      enginePorts: new Map(),
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ExhaustedError);
    expect(error.message).toContain('c/notebook/8888/tcp');
    expect(error.hint).toContain('ports.range');
  });

  it('allocates 1,000 ports for 200 projects', async () => {
    const requests = Array.from({ length: 200 }, (_, p) =>
      Array.from({ length: 5 }, (_, i) => request(`p${p}`, 8888, 8000 + i)),
    ).flat();
    const result = await allocatePorts({
      requests,
      previous: new Map(),
      range: { from: 20000, to: 22000 },
      probe: new ListeningPorts(),
      enginePorts: new Map(),
    });
    expect(new Set(result.grants.map((g) => g.host)).size).toBe(1000);
  });
});
