import type { ObservedNetwork } from './observed.js';

/** What the render pipeline needs to know of the engine: what already holds ports and addresses. */
export interface PublishedPort {
  port: number;
  protocol: string;
  labels: Record<string, string>;
  /** The container's own port, to tell which envctl port request published it. */
  privatePort: number;
}

/** A running container's labels, for the GPUs it holds (dev.envctl.gpus). */
export interface RunningContainer {
  labels: Record<string, string>;
}

export interface EngineView {
  publishedPorts(): Promise<PublishedPort[]>;
  networks(): Promise<ObservedNetwork[]>;
  runningWithGpus(): Promise<RunningContainer[]>;
  /** Whether the engine can honour NVIDIA device requests; "unknown" when it cannot be told. */
  gpuSupport(): Promise<GpuSupport>;
}

export type GpuSupport = { supported: 'yes' | 'unknown' } | { supported: 'no'; reason: string };

/** Used when no engine answers: render works without one. */
export const NO_ENGINE: EngineView = {
  publishedPorts: () => Promise.resolve([]),
  networks: () => Promise.resolve([]),
  runningWithGpus: () => Promise.resolve([]),
  gpuSupport: () => Promise.resolve({ supported: 'unknown' }),
};
