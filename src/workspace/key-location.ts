import type { SourceLocation } from '../errors/envctl-error.js';
import type { YamlSource } from '../util/yaml-source.js';
import type { Project } from './load.js';

/** Where a service key (or an envctl.yml key, for `gpus`) of a project was written: the line a refusal names. */
export type KeyLocator = (project: string, service: string, key: string) => SourceLocation | undefined;

/**
 * The project's compose.yml when it sets the key, else its template's fragment, else its envctl.yml's key of
 * that name (gpus:); undefined where none says it.
 */
export function keyLocator(projects: readonly Project[]): KeyLocator {
  return (name, service, key) => {
    const project = projects.find((candidate) => candidate.name === name);
    if (!project) return undefined;
    const sources = [project.override?.source, project.template?.fragment];
    const setting = sources.find((source) => source && hasKey(source, ['services', service, key]));
    if (setting) return setting.locate(['services', service, key], { key: true });
    const config = project.configSource;
    return config && hasKey(config, [key]) ? config.locate([key], { key: true }) : undefined;
  };
}

function hasKey(source: YamlSource, path: string[]): boolean {
  let value: unknown = source.toJS();
  for (const step of path) {
    if (!value || typeof value !== 'object' || !(step in value)) return false;
    value = (value as Record<string, unknown>)[step];
  }
  return true;
}
