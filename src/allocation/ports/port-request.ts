import type { SourceLocation } from '../../errors/envctl-error.js';

/** A published port of a project's service that needs a host port. */
export interface PortRequest {
  key: string;
  project: string;
  service: string;
  /** The template's name for it (e.g. "jupyter"), or "<service>-<container>" for a port from compose.yml. */
  name: string;
  container: number;
  protocol: 'tcp' | 'udp';
  /** The host port the user or template would like; the range decides when absent or taken. */
  preferred: number | undefined;
  /** Where the user wrote the preferred port (envctl.yml or compose.yml); absent for a template's default. */
  writtenAt?: SourceLocation;
  bind: string;
  /** URL pattern shown to the user, with placeholders. */
  url: string | undefined;
}

export interface PortGrant extends PortRequest {
  host: number;
}

export function portKey(project: string, service: string, container: number, protocol: string): string {
  return `${project}/${service}/${container}/${protocol}`;
}
