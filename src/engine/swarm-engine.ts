import type Docker from 'dockerode';
import { EngineError } from '../errors/envctl-error.js';
import { labelFilter, networkFrom, type ObservedNetwork } from './observed.js';

/** The generic resource kind a GPU node advertises (daemon.json: node-generic-resources "NVIDIA-GPU=GPU-<uuid>"). */
export const GPU_RESOURCE = 'NVIDIA-GPU';

export interface SwarmNode {
  id: string;
  hostname: string;
  /** The address other nodes and users reach it at. */
  address: string;
  role: 'manager' | 'worker';
  availability: string;
  state: string;
  labels: Record<string, string>;
  /** Its GPUs, from its generic resources: named ones (ids), or a discrete count (ids made up as "#1"...). */
  gpus: string[];
}

export interface SwarmService {
  id: string;
  name: string;
  version: number;
  labels: Record<string, string>;
  ports: Array<{ protocol: string; targetPort: number; publishedPort: number }>;
}

export interface SwarmTask {
  id: string;
  serviceId: string;
  nodeId: string;
  state: string;
  desiredState: string;
  error: string | undefined;
  containerId: string | undefined;
  /** The GPUs the scheduler gave it (named generic resources). */
  gpus: string[];
}

export interface SwarmStatus {
  active: boolean;
  manager: boolean;
  nodeId: string;
}

type Raw = Record<string, unknown>;
type NamedResource = {
  NamedResourceSpec?: { Kind?: string; Value?: string };
  DiscreteResourceSpec?: { Kind?: string; Value?: number };
};

/** The swarm API of a manager, through dockerode: nodes, services, tasks. */
export class SwarmEngine {
  constructor(
    private readonly docker: Docker,
    readonly address: string,
  ) {}

  async status(): Promise<SwarmStatus> {
    const info = (await this.call(() => this.docker.info())) as { Swarm?: Raw };
    const swarm = info.Swarm ?? {};
    return {
      active: swarm.LocalNodeState === 'active',
      manager: swarm.ControlAvailable === true,
      nodeId: text(swarm.NodeID),
    };
  }

  async nodes(): Promise<SwarmNode[]> {
    const nodes = (await this.call(() => this.docker.listNodes())) as Raw[];
    return nodes.map((node) => {
      const spec = (node.Spec ?? {}) as Raw;
      const description = (node.Description ?? {}) as {
        Hostname?: string;
        Resources?: { GenericResources?: NamedResource[] };
      };
      const status = (node.Status ?? {}) as { Addr?: string; State?: string };
      return {
        id: String(node.ID),
        hostname: description.Hostname ?? '',
        address: status.Addr ?? '',
        role: spec.Role === 'manager' ? 'manager' : 'worker',
        availability: text(spec.Availability, 'active'),
        state: status.State ?? 'unknown',
        labels: (spec.Labels ?? {}) as Record<string, string>,
        gpus: gpusOf(description.Resources?.GenericResources ?? []),
      };
    });
  }

  async services(label: string, value?: string): Promise<SwarmService[]> {
    const list = (await this.call(() =>
      this.docker.listServices({ filters: labelFilter(label, value) }),
    )) as unknown as Raw[];
    return list.map((service) => {
      const spec = (service.Spec ?? {}) as { Name?: string; Labels?: Record<string, string> };
      const endpoint = (service.Endpoint ?? {}) as { Ports?: Raw[] };
      return {
        id: String(service.ID),
        name: spec.Name ?? '',
        version: Number((service.Version as { Index?: number } | undefined)?.Index ?? 0),
        labels: spec.Labels ?? {},
        ports: (endpoint.Ports ?? []).map((port) => ({
          protocol: text(port.Protocol, 'tcp'),
          targetPort: Number(port.TargetPort),
          publishedPort: Number(port.PublishedPort),
        })),
      };
    });
  }

  async tasks(serviceIds?: string[]): Promise<SwarmTask[]> {
    const filters = serviceIds ? { service: serviceIds } : {};
    const list = (await this.call(() => this.docker.listTasks({ filters }))) as Raw[];
    return list.map((task) => {
      const status = (task.Status ?? {}) as {
        State?: string;
        Err?: string;
        ContainerStatus?: { ContainerID?: string };
      };
      return {
        id: String(task.ID),
        serviceId: String(task.ServiceID),
        nodeId: text(task.NodeID),
        state: status.State ?? 'unknown',
        desiredState: text(task.DesiredState),
        error: status.Err || undefined,
        containerId: status.ContainerStatus?.ContainerID || undefined,
        gpus: gpusOf((task.GenericResources ?? []) as NamedResource[]),
      };
    });
  }

  /** The swarm's networks (scope swarm): a node's lingering local copy of a removed one is not among them. */
  async networks(): Promise<ObservedNetwork[]> {
    const list = await this.call(() => this.docker.listNetworks({ filters: { scope: ['swarm'] } }));
    return list.map(networkFrom);
  }

  /** Creates a swarm network; false when the swarm already has one of that name. */
  async createNetwork(body: Record<string, unknown>): Promise<boolean> {
    try {
      await this.docker.createNetwork(body as unknown as Docker.NetworkCreateOptions);
      return true;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 409) return false;
      return this.call(() => Promise.reject(error as Error));
    }
  }

  async createService(spec: Raw): Promise<string> {
    const created = (await this.call(() => this.docker.createService(spec as Docker.CreateServiceOptions))) as {
      id?: string;
      ID?: string;
    };
    return String(created.id ?? created.ID ?? '');
  }

  async updateService(id: string, version: number, spec: Raw): Promise<void> {
    await this.call(() => this.docker.getService(id).update({ ...spec, version }));
  }

  async removeService(id: string): Promise<void> {
    await this.call(() => this.docker.getService(id).remove());
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      const said = (error as { json?: { message?: string } }).json?.message ?? (error as Error).message;
      throw new EngineError(
        `The swarm manager at ${this.address} refused: ${said}${status ? ` (HTTP ${status})` : ''}.`,
        {
          cause: error,
          hint: 'envctl swarm commands need a manager of an active swarm ("docker node ls" should answer there).',
        },
      );
    }
  }
}

function gpusOf(resources: NamedResource[]): string[] {
  return resources.flatMap((resource) => {
    if (resource.NamedResourceSpec?.Kind === GPU_RESOURCE) return [resource.NamedResourceSpec.Value ?? ''];
    if (resource.DiscreteResourceSpec?.Kind === GPU_RESOURCE)
      return Array.from({ length: resource.DiscreteResourceSpec.Value ?? 0 }, (_, i) => `#${i + 1}`);
    return [];
  });
}

function text(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}
