import { describe, expect, it } from 'vitest';
import { carryImages } from '../../src/execute/swarm-images.js';
import { MemoryEngine } from '../support/memory-engine.js';
import { swarmNode } from '../support/swarm-node.js';

const node = swarmNode;

describe('carrying built images to the nodes', () => {
  it("loads the manager's image into each node under its name and id, and says how much it sent", async () => {
    const manager = new MemoryEngine();
    const image = manager.addImage('ws-lab-web', { 'dev.envctl.build-hash': 'abc' });
    const nodes = new Map([
      ['b', new MemoryEngine()],
      ['c', new MemoryEngine()],
    ]);
    const said: string[] = [];
    const carries = ['b', 'c'].map((id) => ({
      project: 'lab',
      image: 'ws-lab-web',
      imageId: image.id,
      node: node(id),
    }));
    await carryImages(carries, manager, (target) => Promise.resolve(nodes.get(target.id)!), {
      change: (project, text) => said.push(`${project}: ${text}`),
    });
    for (const engine of nodes.values()) expect(await engine.image('ws-lab-web')).toEqual(image);
    expect(said).toEqual([
      expect.stringMatching(/^lab: carried ws-lab-web to host-b \(\d+ B\)$/),
      expect.stringMatching(/^lab: carried ws-lab-web to host-c \(\d+ B\)$/),
    ]);
  });

  it('fails, naming the engine, when a node refuses the image, and leaves nothing waiting', async () => {
    const manager = new MemoryEngine();
    manager.addImage('ws-lab-web', {});
    const refusing = new MemoryEngine();
    refusing.loadImages = () => Promise.reject(new Error('no space left on device'));
    const carry = { project: 'lab', image: 'ws-lab-web', imageId: 'x', node: node('b') };
    await expect(
      carryImages([carry], manager, () => Promise.resolve(refusing), { change: () => undefined }),
    ).rejects.toThrow('no space left on device');
  });
});
