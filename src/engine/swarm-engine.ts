import type Docker from 'dockerode';
import { EngineError } from '../errors/envctl-error.js';
import type { Readable } from 'node:stream';
import type { DockerEngine } from './docker-engine.js';
import type { LogOptions, LogStream } from './engine.js';
import { logLines, logQuery } from './engine-streams.js';
import { labelFilter, networkFrom, type ObservedNetwork } from './observed.js';
import {
  GPU_RESOURCE,
  type Swarm,
  type SwarmNode,
  type SwarmService,
  type SwarmStatus,
  type SwarmTask,
} from './swarm.js';

type Raw = Record<string, unknown>;
type NamedResource = {
  NamedResourceSpec?: { Kind?: string; Value?: string };
  DiscreteResourceSpec?: { Kind?: string; Value?: number };
};

/** The manager behind a swarm target: it must be one of an active swarm. */
export async function connectSwarm(engine: DockerEngine): Promise<Swarm> {
  const swarm = new SwarmEngine(engine);
  const status = await swarm.status();
  if (status.active && status.manager) return swarm;
  throw new EngineError(
    `The engine at ${engine.address} is ${status.active ? 'a worker, not a manager,' : 'not part of a swarm'}: ` +
      'envctl deploys a swarm workspace through a manager.',
    {
      hint: status.active
        ? 'Point engine: at a manager (swarm+ssh://user@manager), or promote this node (docker node promote).'
        : 'Make this engine a manager (docker swarm init --advertise-addr <address>) and join the GPU nodes to it.',
    },
  );
}

/** The swarm API of a manager, through dockerode: nodes, services, tasks; networks through its engine. */
export class SwarmEngine implements Swarm {
  private readonly docker: Docker;
  readonly address: string;

  constructor(private readonly engine: DockerEngine) {
    this.docker = engine.docker;
    this.address = engine.address;
  }

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
      const spec = (service.Spec ?? {}) as {
        Name?: string;
        Labels?: Record<string, string>;
        Mode?: { Replicated?: { Replicas?: number } };
      };
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
        replicas: spec.Mode?.Replicated ? Number(spec.Mode.Replicated.Replicas ?? 1) : undefined,
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

  async networks(): Promise<ObservedNetwork[]> {
    const list = await this.call(() => this.docker.listNetworks({ filters: { scope: ['swarm'] } }));
    return list.map(networkFrom);
  }

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

  scale(id: string, replicas: number): Promise<void> {
    return this.respec(id, (spec) => ({ ...spec, Mode: { Replicated: { Replicas: replicas } } }));
  }

  forceUpdate(id: string): Promise<void> {
    return this.respec(id, (spec) => {
      const template = (spec.TaskTemplate ?? {}) as Raw;
      return { ...spec, TaskTemplate: { ...template, ForceUpdate: Number(template.ForceUpdate ?? 0) + 1 } };
    });
  }

  /** The service's spec as it is now, changed by `change`, at the version read. */
  private async respec(id: string, change: (spec: Raw) => Raw): Promise<void> {
    const service = this.docker.getService(id);
    const info = (await this.call(() => service.inspect())) as { Spec: Raw; Version: { Index: number } };
    await this.call(() => service.update({ ...change(info.Spec), version: info.Version.Index }));
  }

  async serviceLogs(
    id: string,
    options: LogOptions,
    onLine: (line: string, stream: 'stdout' | 'stderr') => void,
  ): Promise<LogStream> {
    const service = this.docker.getService(id);
    const info = (await this.call(() => service.inspect())) as {
      Spec: { TaskTemplate?: { ContainerSpec?: { TTY?: boolean } } };
    };
    const raw = await this.call(
      () => service.logs(logQuery(options) as never) as unknown as Promise<Readable | Buffer>,
    );
    return logLines(this.docker, raw, info.Spec.TaskTemplate?.ContainerSpec?.TTY === true, onLine);
  }

  removeNetwork(name: string): Promise<void> {
    // No retry here: the executor tries again by its own policy (an overlay takes seconds to go).
    return this.engine.removeNetwork(name, []);
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
