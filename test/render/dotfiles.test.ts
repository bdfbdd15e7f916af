import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../src/compose/compose-types.js';
import { DOTFILES_MOUNT, withDotfiles } from '../../src/render/dotfiles.js';

describe('dotfiles in a service', () => {
  it("mounts the folder read-only and runs the setup before the service's own command, as it was given", () => {
    const listed: ServiceSpec = { command: ['jupyter', 'lab', '--port=8888'], volumes: ['/p:/work'] };
    expect(withDotfiles(listed, 'notebook', '/home/ada/dotfiles')).toBeUndefined();
    expect(listed.volumes).toEqual(['/p:/work', `/home/ada/dotfiles:${DOTFILES_MOUNT}:ro`]);
    expect(listed.command).toEqual([
      'sh',
      '-c',
      expect.stringContaining('exec "$@"'),
      'envctl-dotfiles',
      'jupyter',
      'lab',
      '--port=8888',
    ]);
    const shell: ServiceSpec = { command: 'python main.py' };
    withDotfiles(shell, 'app', '/d');
    expect((shell.command as string[]).slice(3)).toEqual(['envctl-dotfiles', 'sh', '-c', 'python main.py']);
  });

  it("refuses, by name, a service that runs the image's own command", () => {
    const bare: ServiceSpec = { image: 'x' };
    expect(withDotfiles(bare, 'db', '/d')).toMatch(/service "db" has no command of its own/);
    expect(bare).toEqual({ image: 'x' });
  });
});
