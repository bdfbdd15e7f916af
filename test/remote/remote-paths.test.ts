import { describe, expect, it } from 'vitest';
import { remoteBindSource, remoteRootOf, unsyncedBindSource } from '../../src/remote/remote-paths.js';

const layout = {
  localRoot: '/home/ada/ws',
  remoteRoot: '/srv/ada/envctl/ws',
  dotfiles: '/home/ada/dotfiles',
  hostName: 'gpu1',
};

describe('bind mounts on a server', () => {
  it("points project folders and dotfiles at their synced copies, leaves the server's own paths as written", () => {
    const source = remoteBindSource(layout);
    expect(source('/home/ada/ws/projects/nlp')).toBe('/srv/ada/envctl/ws/projects/nlp');
    expect(source('/home/ada/ws/projects/nlp/data')).toBe('/srv/ada/envctl/ws/projects/nlp/data');
    expect(source('/home/ada/dotfiles')).toBe('/srv/ada/envctl/ws/.dotfiles');
    expect(source('/datasets/imagenet')).toBe('/datasets/imagenet');
  });

  it('refuses a workspace path outside the project folders: it is not synced', () => {
    expect(() => remoteBindSource(layout)('/home/ada/ws/compose/x')).toThrow(
      /not in a project folder: only project folders are synced to gpu1/,
    );
    expect(() => unsyncedBindSource('/home/ada/ws', 'tcp://gpu1:2376')('/home/ada/ws/projects/a')).toThrow(
      /syncs project folders only over SSH/,
    );
  });

  it("reads ~ as the server user's home", () => {
    expect(remoteRootOf('~/envctl/ws', '/home/ada')).toBe('/home/ada/envctl/ws');
    expect(remoteRootOf('/scratch/ada', '/home/ada')).toBe('/scratch/ada');
    expect(remoteRootOf('work', '/home/ada')).toBe('/home/ada/work');
  });
});
