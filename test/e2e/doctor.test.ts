import { afterAll, describe, expect, it } from 'vitest';
import { envctl, removeWorkspace } from '../support/workspace.js';
import { engineAnswers, engineWorkspace, onGpuMachine, webProject } from './engine-support.js';

const hasEngine = await engineAnswers();

describe.runIf(hasEngine)('envctl doctor', () => {
  const root = engineWorkspace({
    'workspace.yml': 'ports:\n  range: "27000-27099"\n',
    'which-project': 'alpha\n',
    'projects/alpha/envctl.yml': webProject('gpus: 1\n'),
  });
  afterAll(() => removeWorkspace(root));

  it('is all green against a running engine on a (recorded) GPU machine', async () => {
    const result = await envctl(root, ['doctor', '--json'], onGpuMachine('h100-1gpu'));
    expect(result.exitCode, result.stdout).toBe(0);
    const checks = JSON.parse(result.stdout) as Array<{ name: string; status: string; detail: string }>;
    expect(checks.map((check) => `${check.name}: ${check.status}`)).toEqual([
      'Node.js: ok',
      'Docker Engine: ok',
      'Build cache: ok',
      'Workspace: ok',
      'State under compose/: ok',
      'Dotfiles: ok',
      'Package mirrors: ok',
      'Port range: ok',
      'NVIDIA driver: ok',
      'NVIDIA Container Toolkit: ok',
    ]);
    expect(checks.find((check) => check.name === 'Port range')!.detail).toMatch(/^27000-27099: \d+ of 100 free$/);
    expect(checks.find((check) => check.name === 'NVIDIA driver')!.detail).toBe('1 GPU(s): 0 NVIDIA H100 80GB HBM3');
  });

  it('turns the engine check red with its fix, and exits non-zero, when DOCKER_HOST points at nothing', async () => {
    const result = await envctl(root, ['doctor'], {
      ...onGpuMachine('h100-1gpu'),
      DOCKER_HOST: 'unix:///nonexistent.sock',
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      '✖ Docker Engine: No Docker Engine answers at DOCKER_HOST=unix:///nonexistent.sock',
    );
    expect(result.stdout).toContain('fix: Start the engine');
    expect(result.stdout).toContain('✔ Workspace');
  });

  it('fails the GPU check for a project that needs one on a machine without nvidia-smi', async () => {
    const result = await envctl(root, ['doctor']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      '✖ NVIDIA driver: nvidia-smi is not installed (no NVIDIA driver on this machine) (needed by alpha)',
    );
  });
});
