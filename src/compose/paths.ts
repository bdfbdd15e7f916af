import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type { ComposeFile, ServiceSpec } from './compose-types.js';
import { isHostPath, withSource } from './volumes.js';

/**
 * Compose resolves relative paths against the folder of the file that wrote them. Fragments come from
 * templates/ and projects/ but the merged file lives in compose/, so relative paths are made absolute
 * while each fragment still knows where it came from.
 */
export function rebasePaths(fragment: ComposeFile, baseDir: string): ComposeFile {
  for (const service of Object.values(fragment.services ?? {})) rebaseService(service, baseDir);
  for (const section of ['secrets', 'configs'] as const) {
    for (const entry of Object.values(fragment[section] ?? {})) {
      if (entry && typeof entry.file === 'string') entry.file = absolute(entry.file, baseDir);
    }
  }
  return fragment;
}

function rebaseService(service: ServiceSpec, baseDir: string): void {
  if (typeof service.build === 'string') service.build = absoluteContext(service.build, baseDir);
  else if (service.build && typeof service.build.context === 'string')
    service.build.context = absoluteContext(service.build.context, baseDir);
  if (Array.isArray(service.volumes)) {
    service.volumes = service.volumes.map((volume) =>
      withSource(volume, (source, long) =>
        (long ? long.type === 'bind' : isHostPath(source)) ? absolute(source, baseDir) : undefined,
      ),
    );
  }
  if (service.env_file !== undefined) {
    const files = Array.isArray(service.env_file) ? service.env_file : [service.env_file];
    service.env_file = files.map((file) =>
      typeof file === 'string' ? absolute(file, baseDir) : { ...file, path: absolute(file.path, baseDir) },
    );
  }
}

function absolute(path: string, baseDir: string): string {
  if (path.startsWith('~')) return resolve(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function absoluteContext(context: string, baseDir: string): string {
  return /^[a-z]+:\/\//i.test(context) || context.startsWith('git@') ? context : absolute(context, baseDir);
}
