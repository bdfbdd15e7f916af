import type { PortSpec } from '../../compose/compose-types.js';
import { normalizePort } from '../../compose/ports.js';
import { InputError, type SourceLocation } from '../../errors/envctl-error.js';
import type { Project } from '../../workspace/load.js';
import type { WorkspaceSettings } from '../../workspace/settings.js';
import { portKey, type PortRequest } from './port-request.js';

/**
 * Every port a project publishes, as requests to the allocator: the template's named ports, and any
 * port its own compose.yml publishes. Preference: envctl.yml's ports > compose.yml's published port >
 * the template's default.
 */
export function portRequestsFor(project: Project, settings: WorkspaceSettings): PortRequest[] {
  const requests = new Map<string, PortRequest>();
  const explicit = new Set<string>();
  for (const [name, declared] of Object.entries(project.template?.declaration.ports ?? {})) {
    const choice = project.config.ports?.[name];
    const chosen = typeof choice === 'number' ? { port: choice } : (choice ?? {});
    const key = portKey(project.name, declared.service, declared.container, declared.protocol);
    requests.set(key, {
      key,
      project: project.name,
      service: declared.service,
      name,
      container: declared.container,
      protocol: declared.protocol,
      preferred: chosen.port ?? declared.host,
      ...(chosen.port !== undefined ? { writtenAt: project.configSource?.locate(['ports', name]) } : {}),
      bind: chosen.bind ?? settings.ports.bind,
      url: declared.url,
    });
    if (chosen.port !== undefined) explicit.add(key);
  }
  for (const { service, port, location } of overridePorts(project)) {
    const protocol = port.protocol === 'udp' ? 'udp' : 'tcp';
    const key = portKey(project.name, service, port.target, protocol);
    const known = requests.get(key);
    const published = port.published === undefined ? undefined : Number(port.published);
    requests.set(key, {
      key,
      project: project.name,
      service,
      name: known?.name ?? `${service}-${port.target}`,
      container: port.target,
      protocol,
      preferred: explicit.has(key) ? known?.preferred : (published ?? known?.preferred),
      ...(explicit.has(key) ? { writtenAt: known?.writtenAt } : published !== undefined ? { writtenAt: location } : {}),
      bind: port.host_ip ?? known?.bind ?? settings.ports.bind,
      url: known?.url,
    });
  }
  return [...requests.values()];
}

/** The ports a project's compose.yml publishes, in long syntax; bad forms are errors at their line. */
export function overridePorts(project: Project): Array<{ service: string; port: PortSpec; location: SourceLocation }> {
  const services = project.override?.model.services ?? {};
  return Object.entries(services).flatMap(([service, spec]) =>
    (Array.isArray(spec?.ports) ? spec.ports : []).map((entry, index) => {
      const port = normalizePort(entry);
      const location = project.override!.source.locate(['services', service, 'ports', index]);
      if (typeof port === 'string') {
        throw new InputError(`${location.file}:${location.line}: ${port}.`, {
          location,
          hint: 'Write one port per entry, e.g. "5432" or "8080:80"; envctl picks the host port and keeps it.',
        });
      }
      return { service, port, location };
    }),
  );
}
