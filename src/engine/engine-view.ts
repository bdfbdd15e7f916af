/** What the render pipeline needs to know of the engine: what already holds ports and addresses. */
export interface PublishedPort {
  port: number;
  protocol: string;
  labels: Record<string, string>;
  /** The container's own port, to tell which envctl port request published it. */
  privatePort: number;
}

export interface EngineNetwork {
  id: string;
  name: string;
  subnets: string[];
  labels: Record<string, string>;
}

export interface EngineView {
  publishedPorts(): Promise<PublishedPort[]>;
  networks(): Promise<EngineNetwork[]>;
}

/** Used when no engine answers: render works without one. */
export const NO_ENGINE: EngineView = {
  publishedPorts: async () => [],
  networks: async () => [],
};
