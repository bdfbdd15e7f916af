import { describe, expect, it } from 'vitest';
import { describeMirrors, mirrorBuildArgs, packageMirrors } from '../../src/workspace/mirrors.js';
import { loadSettings } from '../../src/workspace/settings.js';
import { makeWorkspace, removeWorkspace } from '../support/workspace.js';

function settingsOf(yaml: string, env: NodeJS.ProcessEnv = {}) {
  const root = makeWorkspace({ 'which-project': '', 'workspace.yml': yaml });
  try {
    return loadSettings(root, env);
  } finally {
    removeWorkspace(root);
  }
}

describe('package mirrors', () => {
  it('pass workspace.yml pip: and conda: to the builds as the variables pip and conda read', () => {
    const { mirrors } = settingsOf(
      'pip:\n  index_url: https://mirror.example/simple\n  extra_index_url: [https://a.example/simple, https://b.example/simple]\n' +
        '  trusted_host: mirror.example\nconda:\n  channels: [https://mirror.example/conda-forge, bioconda]\n',
      { PIP_INDEX_URL: 'https://ignored.example/simple' },
    );
    expect(mirrors.pipSource).toBe('workspace.yml');
    expect(mirrorBuildArgs(mirrors, ['pip', 'conda'])).toEqual({
      PIP_INDEX_URL: 'https://mirror.example/simple',
      PIP_EXTRA_INDEX_URL: 'https://a.example/simple https://b.example/simple',
      PIP_TRUSTED_HOST: 'mirror.example',
      CONDA_CHANNELS: 'https://mirror.example/conda-forge,bioconda',
    });
    expect(mirrorBuildArgs(mirrors, ['pip'])).not.toHaveProperty('CONDA_CHANNELS');
    expect(mirrorBuildArgs(mirrors, [])).toEqual({});
    expect(describeMirrors(mirrors)).toContain('conda channels https://mirror.example/conda-forge, bioconda');
  });

  it("take pip's own variables when workspace.yml names no pip mirror, and give nothing when none is set", () => {
    const fromEnv = packageMirrors(undefined, undefined, {
      PIP_INDEX_URL: 'http://10.0.0.5:3141/simple/',
      PIP_TRUSTED_HOST: '10.0.0.5 other.example',
    });
    expect(fromEnv.pipSource).toBe('environment');
    expect(mirrorBuildArgs(fromEnv, ['pip'])).toEqual({
      PIP_INDEX_URL: 'http://10.0.0.5:3141/simple/',
      PIP_TRUSTED_HOST: '10.0.0.5 other.example',
    });
    const none = packageMirrors(undefined, undefined, {});
    expect(none.pipSource).toBeUndefined();
    expect(mirrorBuildArgs(none, ['pip', 'conda'])).toEqual({});
  });

  it('refuses an unknown key under pip: or conda:, and an index that is not an http(s) address, by file and line', () => {
    expect(() => settingsOf('pip:\n  index_url: https://m.example/simple\n  extra_url: x\n')).toThrow(
      /workspace\.yml:3: unknown key "pip\.extra_url"/,
    );
    try {
      settingsOf('conda:\n  channel: [conda-forge]\n');
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/workspace\.yml:2: unknown key "conda\.channel"/);
      expect((error as { hint?: string }).hint).toMatch(/Under conda: the key is channels/);
    }
    expect(() => settingsOf('pip:\n  index_url: ftp://m.example/simple\n')).toThrow(
      /workspace\.yml:2: "pip\.index_url"/,
    );
  });
});
