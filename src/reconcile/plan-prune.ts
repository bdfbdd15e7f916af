import type { ObservedBuild } from '../engine/observed.js';
import { LABEL } from '../model/labels.js';

/** What a workspace's which-project says now, for the images labelled with its root. */
export type ListedProjects =
  { kind: 'listed'; projects: ReadonlySet<string> } | { kind: 'gone' } | { kind: 'unreadable'; reason: string };

export interface PruneImage {
  id: string;
  tags: string[];
  project: string | undefined;
  root: string | undefined;
  /** Why it goes, for the question prune asks: "intro-ml is not in /home/ana/ws/which-project". */
  reason: string;
}

export interface PrunePlan {
  images: PruneImage[];
  /** Workspaces whose images were all kept because their which-project could not be read. */
  unreadable: Array<{ root: string; reason: string }>;
}

/**
 * The images envctl built that no which-project wants: a build a newer one replaced (no name left), and the
 * images of a project its workspace no longer lists, or of a workspace that is gone. An image is kept when in
 * doubt: any of its names is a listed project's (an identical build tagged for another project), its labels
 * name a listed project, it has no workspace label (not envctl's to judge), or its which-project cannot be read.
 */
export function planPrune(builds: readonly ObservedBuild[], listed: (root: string) => ListedProjects): PrunePlan {
  const images: PruneImage[] = [];
  const unreadable = new Map<string, string>();
  for (const build of builds) {
    const project = build.labels[LABEL.project];
    const root = build.labels[LABEL.root];
    const image = { id: build.id, tags: build.tags, project, root };
    if (build.tags.length === 0) {
      images.push({ ...image, reason: 'a newer build replaced it' });
      continue;
    }
    if (!root) continue;
    const state = listed(root);
    if (state.kind === 'unreadable') unreadable.set(root, state.reason);
    else if (state.kind === 'gone') images.push({ ...image, reason: `its workspace ${root} is gone` });
    else if (!wanted(build, project, state))
      images.push({ ...image, reason: `${project} is not in its which-project` });
  }
  return { images, unreadable: [...unreadable].map(([root, reason]) => ({ root, reason })) };
}

function wanted(build: ObservedBuild, project: string | undefined, state: ListedProjects & { kind: 'listed' }) {
  if (project && state.projects.has(project)) return true;
  // envctl names a built image <workspace>-<project>-<service>: a name of a listed project keeps it.
  const workspace = build.labels[LABEL.workspace];
  return build.tags.some((tag) =>
    [...state.projects].some((listed) => tag.replace(/^.*\//, '').startsWith(`${workspace}-${listed}-`)),
  );
}
