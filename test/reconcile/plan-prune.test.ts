import { describe, expect, it } from 'vitest';
import { ENVCTL_BUILD_HASH, LABEL } from '../../src/model/labels.js';
import { planPrune, type ListedProjects } from '../../src/reconcile/plan-prune.js';

const build = (id: string, project: string | undefined, tags: string[], root: string | null = '/ws') => ({
  id,
  hash: `h-${id}`,
  tags,
  labels: {
    [ENVCTL_BUILD_HASH]: `h-${id}`,
    ...(root ? { [LABEL.root]: root, [LABEL.workspace]: 'ws' } : {}),
    ...(project ? { [LABEL.project]: project } : {}),
  },
});

const workspaces: Record<string, ListedProjects> = {
  '/ws': { kind: 'listed', projects: new Set(['intro-ml', 'nlp']) },
  '/broken': { kind: 'unreadable', reason: 'permission denied' },
};
const listed = (root: string): ListedProjects => workspaces[root] ?? { kind: 'gone' };

describe('what envctl prune removes', () => {
  it("a replaced build, a dropped project's image and a gone workspace's, and nothing listed", () => {
    const plan = planPrune(
      [
        build('1', 'intro-ml', ['envctl/ws-intro-ml-app:latest']),
        build('2', 'intro-ml', []),
        build('3', 'thesis', ['envctl/ws-thesis-app:latest']),
        build('4', 'old', ['envctl/gone-old-app:latest'], '/gone'),
      ],
      listed,
    );
    expect(plan.images.map(({ id, reason }) => [id, reason])).toEqual([
      ['2', 'a newer build replaced it'],
      ['3', 'thesis is not in its which-project'],
      ['4', 'its workspace /gone is gone'],
    ]);
    expect(plan.unreadable).toEqual([]);
  });

  it('keeps what it cannot judge: a build tagged for a listed project, no workspace label, an unreadable list', () => {
    const plan = planPrune(
      [
        // thesis's build, tagged for nlp too (an identical build is tagged, not built again), then thesis dropped.
        build('5', 'thesis', ['envctl/ws-nlp-app:latest']),
        build('6', 'x', ['mine:1'], null),
        build('7', 'y', ['envctl/b-y-app:latest'], '/broken'),
      ],
      listed,
    );
    expect(plan.images).toEqual([]);
    expect(plan.unreadable).toEqual([{ root: '/broken', reason: 'permission denied' }]);
  });
});
