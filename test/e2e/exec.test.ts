import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { CLI, envctl } from '../support/workspace.js';
import { engineAnswers, engineWorkspaces, webProject } from './engine-support.js';

/** Host ports 29030-29039 are this file's. */
const hasEngine = await engineAnswers();
const workspace = engineWorkspaces();

function labWorkspace(): string {
  return workspace({
    'workspace.yml': 'ports:\n  range: "29030-29039"\n',
    'which-project': 'lab\n',
    'projects/lab/envctl.yml': webProject('ports: { http: 29031 }\n'),
    'projects/stopped/envctl.yml': webProject('ports: { http: 29032 }\n'),
  });
}

describe.runIf(hasEngine)('envctl exec and shell, in a running environment', () => {
  it('runs a command, passes its output and exit status through, and feeds it stdin with -i', async () => {
    const root = labWorkspace();
    expect((await envctl(root, ['up', '-d'])).exitCode).toBe(0);

    const run = await envctl(root, ['exec', 'lab', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect([run.stdout, run.stderr, run.exitCode]).toEqual(['out', 'err', 3]);

    const served = await envctl(root, ['exec', 'lab/web', '--', 'cat', '/www/index.html']);
    expect([served.stdout, served.exitCode]).toEqual(['lab hello ', 0]);

    // As docker exec: what follows the target is the command's, its options too, without a `--`.
    const listed = await envctl(root, ['exec', 'lab', 'ls', '-la', '/www']);
    expect([listed.stdout, listed.exitCode]).toEqual([expect.stringMatching(/index\.html/), 0]);
    const echoed = await envctl(root, ['--workspace', root, 'exec', 'lab/web', 'echo', '-V', '--help', '-i']);
    expect([echoed.stdout, echoed.exitCode]).toEqual(['-V --help -i', 0]);

    const fed = await execa('node', [CLI, 'exec', '-i', 'lab', '--', 'wc', '-c'], {
      cwd: root,
      input: 'twelve bytes',
      reject: false,
    });
    expect([fed.stdout.trim(), fed.exitCode]).toEqual(['12', 0]);
  });

  it('opens a shell that runs the command given, without a terminal when there is none', async () => {
    const root = labWorkspace();
    expect((await envctl(root, ['up', '-d'])).exitCode).toBe(0);
    const shell = await envctl(root, ['shell', 'lab', '--', 'id', '-u']);
    expect([shell.stdout, shell.exitCode]).toEqual(['0', 0]);
    const bare = await envctl(root, ['shell', 'lab', 'id', '-u']);
    expect([bare.stdout, bare.exitCode]).toEqual(['0', 0]);
    const login = await execa('node', [CLI, 'shell', 'lab'], {
      cwd: root,
      input: 'echo $((6 * 7))\nexit 5\n',
      reject: false,
    });
    expect([login.stdout.trim(), login.exitCode]).toEqual(['42', 5]);
  });

  it('says which name was meant, or that the project is not running (exit 2)', async () => {
    const root = labWorkspace();
    expect((await envctl(root, ['up', '-d'])).exitCode).toBe(0);
    const typo = await envctl(root, ['exec', 'lob', '--', 'true']);
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toMatch(/no project "lob".*Did you mean "lab"\?/s);
    const stopped = await envctl(root, ['shell', 'stopped']);
    expect(stopped.exitCode).toBe(2);
    expect(stopped.stderr).toMatch(/Project "stopped" is not running.*envctl up -d stopped/s);
    const service = await envctl(root, ['exec', 'lab/wbe', '--', 'true']);
    expect(service.exitCode).toBe(2);
    expect(service.stderr).toMatch(/no service "wbe".*lab\/web/s);
  });
});
