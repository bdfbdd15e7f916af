import { LABEL } from '../engine/labels.js';
import type { RunningContainer } from '../engine/engine-view.js';
import type { GpuHolder } from './allocate-gpus.js';

/** Labels on a container that holds GPUs: which units, and whether it holds them alone. */
export const GPU_LABEL = {
  gpus: 'dev.envctl.gpus',
  sharing: 'dev.envctl.gpu-sharing',
} as const;

/**
 * Who holds which GPU exclusively, from the labels of running containers: any workspace's, except the
 * projects of this workspace, whose GPUs the allocation itself settles.
 */
export function gpuHolders(running: readonly RunningContainer[], ownRoot: string): GpuHolder[] {
  return running.flatMap((container) => {
    const { labels } = container;
    if (labels[GPU_LABEL.sharing] !== 'exclusive' || labels[LABEL.root] === ownRoot) return [];
    const who = `project ${labels[LABEL.project]} of workspace ${labels[LABEL.root]}`;
    return (labels[GPU_LABEL.gpus] ?? '').split(',').filter(Boolean).map((unit) => ({ unit, who }));
  });
}
