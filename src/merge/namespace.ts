import type { ComposeFile, ServiceSpec } from '../compose/compose-types.js';
import { asMapping } from '../compose/merge.js';
import { withSource } from '../compose/volumes.js';

/** `<project>-<name>`: how a project's service, volume or network is called in the merged file. */
export function namespaced(project: string, name: string): string {
  return `${project}-${name}`;
}

/**
 * Renames a project's services, named volumes and networks to `<project>-<name>` and rewrites every
 * reference to them, so two projects on the same template never collide.
 */
export function namespaceProject(project: string, fragment: ComposeFile): ComposeFile {
  const serviceNames = new Set(Object.keys(fragment.services ?? {}));
  const volumeNames = new Set(Object.keys(fragment.volumes ?? {}));
  const rename = (name: string) => namespaced(project, name);
  const renameService = (name: string) => (serviceNames.has(name) ? rename(name) : name);

  const services: Record<string, ServiceSpec> = {};
  for (const [name, spec] of Object.entries(fragment.services ?? {})) {
    const service: ServiceSpec = { ...spec };
    if (service.depends_on) {
      service.depends_on = Object.fromEntries(
        Object.entries(asMapping(service.depends_on, 'depends_on')).map(([dep, cond]) => [renameService(dep), cond]),
      );
    }
    if (service.links) service.links = service.links.map((link) => renameLink(link, renameService));
    if (service.volumes_from) {
      service.volumes_from = service.volumes_from.map((source) => {
        const [target, ...mode] = source.split(':');
        return source.startsWith('container:') ? source : [renameService(target!), ...mode].join(':');
      });
    }
    if (typeof service.network_mode === 'string' && service.network_mode.startsWith('service:')) {
      service.network_mode = `service:${renameService(service.network_mode.slice('service:'.length))}`;
    }
    if (service.volumes) {
      service.volumes = service.volumes.map((volume) =>
        withSource(volume, (source, long) =>
          volumeNames.has(source) && (!long || long.type === 'volume') ? rename(source) : undefined,
        ),
      );
    }
    services[rename(name)] = service;
  }
  const volumes = Object.fromEntries(
    Object.entries(fragment.volumes ?? {}).map(([name, spec]) => [rename(name), spec]),
  );
  const networks = Object.fromEntries(
    Object.entries(fragment.networks ?? {}).map(([name, spec]) => [rename(name), spec]),
  );
  return { ...fragment, services, volumes, networks };
}

/** "db" or "db:alias": the service part renamed, the alias kept (a link's alias defaults to the old name). */
function renameLink(reference: string, renameService: (name: string) => string): string {
  const [target, alias] = reference.split(':');
  const renamed = renameService(target!);
  if (alias !== undefined) return `${renamed}:${alias}`;
  return renamed === target ? reference : `${renamed}:${target}`;
}

/** A name a project's fragment puts into the merged model, and where in the fragment it comes from. */
export interface NamespacedName {
  kind: 'service' | 'volume' | 'network';
  name: string;
  project: string;
  /** Path in the project's fragment; empty for what envctl adds (the project's own network). */
  path: Array<string | number>;
}

/** The merged model's names of one project's services, volumes and networks. */
export function namespacedNames(project: string, fragment: ComposeFile, hasOwnNetwork: boolean): NamespacedName[] {
  const names = (kind: NamespacedName['kind'], section: 'services' | 'volumes' | 'networks') =>
    Object.keys(fragment[section] ?? {}).map((name) => ({
      kind,
      name: namespaced(project, name),
      project,
      path: [section, name],
    }));
  const own: NamespacedName[] = hasOwnNetwork ? [{ kind: 'network', name: project, project, path: [] }] : [];
  return [...names('service', 'services'), ...names('volume', 'volumes'), ...names('network', 'networks'), ...own];
}

/** Pairs of different projects that would put the same name of one kind into the merged model. */
export function nameClashes(names: readonly NamespacedName[]): Array<[NamespacedName, NamespacedName]> {
  const seen = new Map<string, NamespacedName>();
  const clashes: Array<[NamespacedName, NamespacedName]> = [];
  for (const entry of names) {
    const key = `${entry.kind}\0${entry.name}`;
    const first = seen.get(key);
    if (first && first.project !== entry.project) clashes.push([first, entry]);
    else if (!first) seen.set(key, entry);
  }
  return clashes;
}
