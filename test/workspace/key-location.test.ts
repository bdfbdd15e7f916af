import { describe, expect, it } from 'vitest';
import { keyLocator } from '../../src/workspace/key-location.js';
import { loadWorkspace } from '../../src/workspace/load.js';
import { makeWorkspace, removeWorkspace } from '../support/workspace.js';

describe('keyLocator: the line a refusal names', () => {
  it("finds a key in the project's compose.yml, else its template's fragment, else its envctl.yml", () => {
    const root = makeWorkspace({
      'which-project': 'lab\n',
      'projects/lab/envctl.yml': 'template: jupyter\ngpus: all\n',
      'projects/lab/compose.yml': 'services:\n  notebook:\n    shm_size: 1g\n    privileged: true\n',
    });
    try {
      const locate = keyLocator(loadWorkspace(root).projects);
      expect(locate('lab', 'notebook', 'privileged')).toMatchObject({ file: 'projects/lab/compose.yml', line: 4 });
      expect(locate('lab', 'notebook', 'build')).toMatchObject({ file: 'templates/jupyter/compose.yml', line: 3 });
      expect(locate('lab', 'notebook', 'gpus')).toMatchObject({ file: 'projects/lab/envctl.yml', line: 2 });
      expect(locate('lab', 'notebook', 'cap_add')).toBeUndefined();
      expect(locate('nope', 'notebook', 'build')).toBeUndefined();
    } finally {
      removeWorkspace(root);
    }
  });
});
