import { describe, expect, it } from 'vitest';
import { commandAfterTarget } from '../../src/cli/command-args.js';

describe('exec and shell: everything after the target is the command', () => {
  it('puts a -- after the target, past envctl options before it', () => {
    expect(commandAfterTarget(['exec', 'web', 'ls', '-la', '/'])).toEqual(['exec', 'web', '--', 'ls', '-la', '/']);
    expect(commandAfterTarget(['-w', 'ws', 'exec', '-i', 'web', 'python3', '-V'])).toEqual([
      '-w',
      'ws',
      'exec',
      '-i',
      'web',
      '--',
      'python3',
      '-V',
    ]);
    expect(commandAfterTarget(['--engine', 'ssh://x', 'shell', 'web', 'id', '-u'])).toEqual([
      '--engine',
      'ssh://x',
      'shell',
      'web',
      '--',
      'id',
      '-u',
    ]);
  });

  it('leaves a -- the user wrote, and every other command, as they are', () => {
    expect(commandAfterTarget(['exec', 'web', '--', 'ls', '--', 'x'])).toEqual(['exec', 'web', '--', 'ls', '--', 'x']);
    expect(commandAfterTarget(['up', '-d', 'web'])).toEqual(['up', '-d', 'web']);
    expect(commandAfterTarget(['exec', '--help'])).toEqual(['exec', '--help']);
    expect(commandAfterTarget(['shell', 'web'])).toEqual(['shell', 'web']);
    expect(commandAfterTarget(['logs', 'exec'])).toEqual(['logs', 'exec']);
  });
});
