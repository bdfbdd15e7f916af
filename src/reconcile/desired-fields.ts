import type { BuildSpec, ContainerCreateBody } from '../engine/engine.js';
import { type PortSpec, type ServiceSpec, type VolumeMount } from '../compose/compose-types.js';
import { asMapping } from '../compose/merge.js';
import { normalizePort } from '../compose/ports.js';
import { InputError } from '../errors/envctl-error.js';
import { parseBytes, parseDurationNs } from '../util/units.js';
import { scalarText } from '../compose/scalar.js';
import { deviceEntries, envFileEntries, ulimitEntries } from '../compose/short-syntax.js';
import { formatShortVolume, parseShortVolume } from '../compose/volumes.js';

export interface HealthcheckSpec {
  disable?: boolean;
  test?: string | string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}

export interface DeviceSpec {
  driver?: string;
  count?: number | 'all';
  device_ids?: string[];
  capabilities?: string[];
  options?: Record<string, string>;
}

export type DeviceRequest = NonNullable<NonNullable<ContainerCreateBody['HostConfig']>['DeviceRequests']>[number];

/** The Compose values of a service as the Engine API wants them (compose/short-syntax.ts reads them). */
export function stringValues(mapping: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(mapping).map(([key, value]) => [key, scalarText(value ?? '')]));
}

export function ulimitsOf(ulimits: unknown): Array<{ Name: string; Soft: number; Hard: number }> | undefined {
  return ulimitEntries(ulimits)?.map(({ name, soft, hard }) => ({ Name: name, Soft: soft, Hard: hard }));
}

export function devicesOf(
  devices: unknown,
): Array<{ PathOnHost: string; PathInContainer: string; CgroupPermissions: string }> | undefined {
  return deviceEntries(devices)?.map(({ source, target, permissions }) => ({
    PathOnHost: source,
    PathInContainer: target,
    CgroupPermissions: permissions,
  }));
}

export function tmpfsOf(tmpfs: unknown): Record<string, string> | undefined {
  if (tmpfs === undefined) return undefined;
  const entries = (Array.isArray(tmpfs) ? tmpfs : [tmpfs]).map(String);
  return Object.fromEntries(
    entries.map((entry) => {
      const colon = entry.indexOf(':');
      return colon < 0 ? [entry, ''] : [entry.slice(0, colon), entry.slice(colon + 1)];
    }),
  );
}

export function logConfigOf(
  logging: { driver?: string; options?: Record<string, unknown> } | undefined,
): { Type: string; Config: Record<string, string> } | undefined {
  if (!logging) return undefined;
  return { Type: logging.driver ?? '', Config: stringValues(logging.options ?? {}) };
}

export function buildSpec(
  build: ServiceSpec['build'],
  dependencyFiles: string[],
  userLayer: boolean,
  cacheScope: string | undefined,
): BuildSpec | undefined {
  if (build === undefined) return undefined;
  const spec = typeof build === 'string' ? { context: build } : build;
  const args = asMapping(spec.args, 'args');
  return {
    context: scalarText(spec.context ?? '.'),
    dockerfile: spec.dockerfile === undefined ? undefined : scalarText(spec.dockerfile),
    ...(spec.target === undefined ? {} : { target: scalarText(spec.target) }),
    args: Object.fromEntries(Object.entries(args).map(([key, value]) => [key, scalarText(value ?? '')])),
    dependencyFiles,
    ...(userLayer ? { userLayer } : {}),
    ...(cacheScope ? { cacheScope } : {}),
  };
}

export function volumesOf(
  volumes: Array<string | VolumeMount>,
  volumeNames: ReadonlyMap<string, string>,
  bindSource: (path: string) => string,
) {
  const binds: string[] = [];
  const mounts: Array<Record<string, unknown>> = [];
  for (const volume of volumes) {
    if (typeof volume === 'string') {
      const { source, target, mode } = parseShortVolume(volume);
      if (source === undefined) {
        mounts.push({ Type: 'volume', Target: target });
        continue;
      }
      const named = volumeNames.get(source) ?? source;
      binds.push(formatShortVolume({ source: source.startsWith('/') ? bindSource(source) : named, target, mode }));
    } else {
      const type = volume.type ?? 'volume';
      const source =
        type === 'volume' && volume.source
          ? (volumeNames.get(volume.source) ?? volume.source)
          : type === 'bind' && volume.source
            ? bindSource(volume.source)
            : volume.source;
      mounts.push(
        prune({
          Type: type,
          Source: source,
          Target: volume.target,
          ReadOnly: volume.read_only as boolean | undefined,
          ...mountOptions(volume),
        }),
      );
    }
  }
  return { binds: binds.length ? binds : undefined, mounts: mounts.length ? mounts : undefined };
}

export function mountOptions(volume: VolumeMount): Record<string, unknown> {
  const bind = volume.bind as { propagation?: string } | undefined;
  const named = volume.volume as { nocopy?: boolean } | undefined;
  const tmpfs = volume.tmpfs as { size?: string | number; mode?: number } | undefined;
  return prune({
    BindOptions: bind?.propagation === undefined ? undefined : { Propagation: bind.propagation },
    VolumeOptions: named?.nocopy === undefined ? undefined : { NoCopy: named.nocopy },
    TmpfsOptions: tmpfs
      ? prune({ SizeBytes: tmpfs.size === undefined ? undefined : parseBytes(tmpfs.size), Mode: tmpfs.mode })
      : undefined,
  });
}

export function portsOf(ports: Array<string | number | PortSpec>, expose: unknown[]) {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const entry of ports) {
    const port = normalizePort(entry) as PortSpec;
    const key = `${port.target}/${port.protocol ?? 'tcp'}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({
      HostIp: port.host_ip ?? '',
      HostPort: port.published === undefined ? '' : scalarText(port.published),
    });
  }
  for (const entry of expose) {
    const [target, protocol = 'tcp'] = scalarText(entry).split('/');
    exposed[`${target}/${protocol}`] = {};
  }
  return {
    exposed: Object.keys(exposed).length ? exposed : undefined,
    bindings: Object.keys(bindings).length ? bindings : undefined,
  };
}

export function restartPolicy(restart: unknown): { Name: string; MaximumRetryCount?: number } | undefined {
  if (restart === undefined || restart === 'no') return undefined;
  const [name, retries] = scalarText(restart).split(':');
  return retries === undefined ? { Name: name! } : { Name: name!, MaximumRetryCount: Number(retries) };
}

export function deviceRequests(spec: ServiceSpec): DeviceRequest[] | undefined {
  const devices = (spec.deploy?.resources?.reservations?.devices ?? []) as DeviceSpec[];
  if (devices.length === 0) return undefined;
  return devices.map((device) =>
    prune({
      Driver: device.driver,
      Count: device.count === 'all' ? -1 : device.count,
      DeviceIDs: device.device_ids,
      Capabilities: [device.capabilities ?? ['gpu']],
      Options: device.options,
    }),
  );
}

/** env_file entries first, then `environment`, which wins: the Compose order. */
export function environmentOf(
  name: string,
  spec: ServiceSpec,
  envFiles: ReadonlyMap<string, Record<string, string>>,
): string[] | undefined {
  const values: Record<string, string> = {};
  for (const { path, required } of envFileEntries(spec)) {
    const file = envFiles.get(path);
    if (!file && required) {
      throw new InputError(`Service "${name}" names the env file ${path}, which does not exist.`, {
        location: { file: path },
        hint: 'Create the file, or write the entry as { path: ..., required: false }.',
      });
    }
    Object.assign(values, file ?? {});
  }
  for (const [key, value] of Object.entries(asMapping(spec.environment, 'environment'))) {
    if (value !== null && value !== undefined) values[key] = scalarText(value);
  }
  const entries = Object.entries(values);
  return entries.length ? entries.map(([key, value]) => `${key}=${value}`) : undefined;
}

export function healthcheckOf(healthcheck: HealthcheckSpec | undefined): ContainerCreateBody['Healthcheck'] {
  if (!healthcheck) return undefined;
  if (healthcheck.disable) return { Test: ['NONE'] };
  const test = typeof healthcheck.test === 'string' ? ['CMD-SHELL', healthcheck.test] : healthcheck.test;
  const ns = (value: unknown) => (value === undefined ? undefined : parseDurationNs(value as string));
  return prune({
    Test: test,
    Interval: ns(healthcheck.interval),
    Timeout: ns(healthcheck.timeout),
    Retries: healthcheck.retries,
    StartPeriod: ns(healthcheck.start_period),
  });
}

export function prune<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
