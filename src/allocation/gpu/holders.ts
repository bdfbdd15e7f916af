import { GPU_LABEL, LABEL } from '../../model/labels.js';
import type { RunningContainer } from '../../engine/engine-view.js';
import type { GpuHolder } from './allocate-gpus.js';

/**
 * Who holds which GPU exclusively, from the labels of running containers: any workspace's, except the
 * projects of this workspace, whose GPUs the allocation itself settles.
 */
export function gpuHolders(running: readonly RunningContainer[], ownRoot: string): GpuHolder[] {
  return running.flatMap((container) => {
    const { labels } = container;
    if (labels[GPU_LABEL.sharing] !== 'exclusive' || labels[LABEL.root] === ownRoot) return [];
    const who = `project ${labels[LABEL.project]} of workspace ${labels[LABEL.root]}`;
    return (labels[GPU_LABEL.gpus] ?? '')
      .split(',')
      .filter(Boolean)
      .map((unit) => ({ unit, who }));
  });
}
