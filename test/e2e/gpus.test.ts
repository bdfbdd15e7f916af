import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/model/labels.js';
import { envctl } from '../support/workspace.js';
import {
  engineAnswers,
  engineWorkspaces,
  httpGet,
  onGpuMachine,
  webProject,
  workspaceContainers,
} from './engine-support.js';

const hasEngine = await engineAnswers();
const workspace = engineWorkspaces();

/** NVIDIA_VISIBLE_DEVICES of each project's container, read over HTTP from the page it serves. */
async function visibleDevices(root: string): Promise<Record<string, string>> {
  const containers = await workspaceContainers(root);
  const entries = await Promise.all(
    containers.map(async (container) => {
      const port = container.Ports.find((p) => p.PublicPort)!.PublicPort;
      const env = (await httpGet(`http://127.0.0.1:${port}/env.txt`)).body;
      return [container.Labels[LABEL.project]!, /^NVIDIA_VISIBLE_DEVICES=(.*)$/m.exec(env)?.[1] ?? ''] as const;
    }),
  );
  return Object.fromEntries(entries);
}

describe.runIf(hasEngine)('GPUs as a shared resource (recorded nvidia-smi, stand-in NVIDIA hook, real engine)', () => {
  it(
    'gives exclusive projects disjoint GPUs, refuses one too many naming the holders, runs a shared one beside, and keeps GPUs across down and ' +
      'up',
    async () => {
      const gpu5 = onGpuMachine('geforce-5gpu');
      const root = workspace({
        'workspace.yml': 'ports:\n  range: "22000-22099"\n',
        'which-project': 'alpha\nbeta\n',
        'projects/alpha/envctl.yml': webProject('gpus: 2\n'),
        'projects/beta/envctl.yml': webProject('gpus: 2\n'),
        'projects/gamma/envctl.yml': webProject('gpus: 2\n'),
        'projects/shared/envctl.yml': webProject('gpus: 1\ngpu_sharing: shared\n'),
      });
      const first = await envctl(root, ['up', '-d'], gpu5);
      expect(first.exitCode, first.stderr).toBe(0);
      const devices = await visibleDevices(root);
      expect(devices).toEqual({ alpha: '0,1', beta: '2,3' });

      writeFileSync(join(root, 'which-project'), 'alpha\nbeta\ngamma\n');
      const third = await envctl(root, ['up', '-d'], gpu5);
      expect(third.exitCode).toBe(4);
      expect(third.stderr).toContain('Project "gamma" asks for 2 GPU(s) of its own, and not enough are free.');
      expect(third.stderr).toContain('GPU 0: alpha, GPU 1: alpha, GPU 2: beta, GPU 3: beta, GPU 4: free');
      expect((await workspaceContainers(root)).map((c) => c.Labels[LABEL.project]).sort()).toEqual(['alpha', 'beta']);

      writeFileSync(join(root, 'which-project'), 'alpha\nbeta\nshared\n');
      const withShared = await envctl(root, ['up', '-d'], gpu5);
      expect(withShared.exitCode, withShared.stderr).toBe(0);
      expect(await visibleDevices(root)).toEqual({ alpha: '0,1', beta: '2,3', shared: '4' });

      const gpus = JSON.parse((await envctl(root, ['gpus', '--json'], gpu5)).stdout) as Array<{
        id: string;
        heldBy: Array<{ project: string }>;
      }>;
      expect(gpus.map((gpu) => gpu.heldBy.map((holder) => holder.project).join(','))).toEqual([
        'alpha',
        'alpha',
        'beta',
        'beta',
        'shared',
      ]);

      expect((await envctl(root, ['down'])).exitCode).toBe(0);
      writeFileSync(join(root, 'which-project'), 'beta\nalpha\n');
      const again = await envctl(root, ['up', '-d'], gpu5);
      expect(again.exitCode, again.stderr).toBe(0);
      expect(await visibleDevices(root)).toEqual({ alpha: '0,1', beta: '2,3' });

      // The allocation state is a cache: lost, it is rebuilt from the running containers' labels.
      writeFileSync(join(root, 'compose', 'state.json'), '{ lost');
      const rebuilt = await envctl(root, ['up', '-d'], gpu5);
      expect(rebuilt.exitCode, rebuilt.stderr).toBe(0);
      expect(rebuilt.stdout).toContain('Nothing to do');
    },
  );

  it('on a machine without nvidia-smi: stops a GPU project with the fix, runs a gpus_optional one without a GPU', async () => {
    const root = workspace({
      'workspace.yml': 'ports:\n  range: "22100-22199"\n',
      'which-project': 'needs\n',
      'projects/needs/envctl.yml': webProject('gpus: 1\n'),
      'projects/maybe/envctl.yml': webProject('gpus: 1\ngpus_optional: true\n'),
    });
    const refused = await envctl(root, ['up', '-d']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(
      'Project "needs" needs a GPU, and this machine cannot give one: nvidia-smi is not installed',
    );
    expect(refused.stderr).toContain('projects/needs/envctl.yml:2');
    expect(refused.stderr).toContain('NVIDIA Container Toolkit');
    expect(await workspaceContainers(root)).toEqual([]);

    writeFileSync(join(root, 'which-project'), 'maybe\n');
    const optional = await envctl(root, ['up', '-d']);
    expect(optional.exitCode, optional.stderr).toBe(0);
    expect(optional.stderr).toContain('maybe runs without a GPU');
    expect(await visibleDevices(root)).toEqual({ maybe: '' });

    writeFileSync(join(root, 'which-project'), 'needs\n');
    const cpuOnly = await envctl(root, ['up', '-d', '--cpu-only']);
    expect(cpuOnly.exitCode, cpuOnly.stderr).toBe(0);
    expect(await visibleDevices(root)).toEqual({ needs: '' });
  });
});
