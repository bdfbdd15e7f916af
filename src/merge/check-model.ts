import type { ComposeFile, ServiceSpec } from '../compose/compose-types.js';
import { asMapping } from '../compose/merge.js';
import { refusedKeys } from '../compose/key-rules.js';
import { applied, refused, type KeyTable, type KeyTarget } from '../compose/service-keys.js';

/** Something in a project's rendered fragment that envctl cannot apply as written. */
export interface ModelProblem {
  /** Path in the fragment: ["services", "notebook", "deploy", "placement"]. */
  path: Array<string | number>;
  message: string;
  hint: string;
}

/** How a refusal names its target. */
const ON: Readonly<Record<KeyTarget, string>> = { engine: '', swarm: ' on a swarm', slurm: ' on a Slurm cluster' };

const REFUSED_HINT = 'Remove it: the README\'s "Compose keys" table lists every key and what envctl does with it.';

/** Top-level keys other than services, networks and volumes (`version` is obsolete in Compose too, and accepted). */
const TOP_LEVEL_REFUSED: Readonly<Record<string, string>> = {
  secrets: 'no service can use them under envctl; pass secrets with env_file, or mount the file with volumes',
  configs: 'no service can use them under envctl; mount the file with volumes',
  include: "put what it would include in the project's compose.yml, or make it a project of its own",
  name: "the Compose project name is the workspace's (name: in workspace.yml)",
  models: 'Docker Model Runner is not applied',
};

/** Top-level network keys: envctl makes each network itself, with a subnet it allocates. */
const NETWORK_KEYS: KeyTable = {
  driver: applied('Driver'),
  labels: applied('Labels'),
  internal: applied('Internal'),
  attachable: applied('Attachable'),
  ipam: refused("envctl allocates every network's subnet (networks.range in workspace.yml)"),
  name: refused('envctl names networks envctl_<workspace>_<project>_<network>, so workspaces never clash'),
  external: refused('services reach other projects on the workspace network; external networks are not joined'),
  driver_opts: refused('not applied'),
  enable_ipv4: refused('not applied'),
  enable_ipv6: refused('not applied'),
};

/** Top-level volume keys. */
const VOLUME_KEYS: KeyTable = {
  driver: applied('Driver'),
  driver_opts: applied('DriverOpts'),
  labels: applied('Labels'),
  name: applied('Name'),
  external: applied('not created, never removed'),
};

/**
 * The merge stage's last word on one project: every key applied or refused, and the values envctl cannot
 * honour (a network mode outside the workspace, a dependency that does not exist, two settings for one limit).
 */
export function modelProblems(fragment: ComposeFile, target: KeyTarget = 'engine'): ModelProblem[] {
  const problems: ModelProblem[] = [];
  const services = fragment.services ?? {};
  for (const [name, service] of Object.entries(services)) {
    for (const { path, why } of refusedKeys(service, undefined, target)) {
      problems.push({
        path: ['services', name, ...path],
        message: `service "${name}" sets "${dotted(path)}", which envctl does not apply${ON[target]}: ${why}`,
        hint: REFUSED_HINT,
      });
    }
    problems.push(...serviceValueProblems(name, service, Object.keys(services)));
  }
  for (const [section, table] of [
    ['networks', NETWORK_KEYS],
    ['volumes', VOLUME_KEYS],
  ] as const) {
    for (const [name, spec] of Object.entries(fragment[section] ?? {})) {
      for (const { path, why } of refusedKeys((spec ?? {}) as Record<string, unknown>, table)) {
        problems.push({
          path: [section, name, ...path],
          message: `${section.slice(0, -1)} "${name}" sets "${dotted(path)}", which envctl does not apply: ${why}`,
          hint: REFUSED_HINT,
        });
      }
    }
  }
  for (const key of Object.keys(fragment)) {
    const why = TOP_LEVEL_REFUSED[key];
    if (why) problems.push({ path: [key], message: `top-level "${key}" is not applied: ${why}`, hint: REFUSED_HINT });
  }
  return problems;
}

function serviceValueProblems(name: string, service: ServiceSpec, serviceNames: readonly string[]): ModelProblem[] {
  const problems: ModelProblem[] = [];
  const at = (...path: Array<string | number>) => ['services', name, ...path];
  const mode = service.network_mode;
  if (mode !== undefined) {
    const shared = mode.startsWith('service:') ? mode.slice('service:'.length) : undefined;
    if (mode !== 'none' && mode !== 'host' && (shared === undefined || !serviceNames.includes(shared))) {
      problems.push({
        path: at('network_mode'),
        message: `service "${name}" has network_mode "${mode}": within a workspace it may be "none", "host" or "service:<a service of this project>"`,
        hint: `Services of this project: ${serviceNames.join(', ')}. Without network_mode the service joins the workspace network.`,
      });
    }
    for (const key of ['ports', 'networks'] as const) {
      if (service[key] !== undefined) {
        problems.push({
          path: at(key),
          message: `service "${name}" has network_mode "${mode}" and "${key}": the engine cannot give it both`,
          hint: `Remove "${key}", or network_mode.`,
        });
      }
    }
  }
  for (const key of ['pid', 'ipc'] as const) {
    const value = service[key];
    if (typeof value === 'string' && value.startsWith('service:')) {
      problems.push({
        path: at(key),
        message: `service "${name}" has ${key} "${value}", which envctl does not apply`,
        hint: `Use "${key}: host", "${key}: private" or leave it out.`,
      });
    }
  }
  for (const dependency of Object.keys(asMapping(service.depends_on, 'depends_on'))) {
    if (serviceNames.includes(dependency)) continue;
    problems.push({
      path: at('depends_on', dependency),
      message: `service "${name}" depends on "${dependency}", which is not a service of this project`,
      hint: `Services of this project: ${serviceNames.join(', ')}. A service of another project is not a dependency envctl can order.`,
    });
  }
  problems.push(...doubleSettings(name, service));
  return problems;
}

/** The old keys and deploy.resources both set one limit: which one wins would be a guess. */
const SAME_SETTING: Array<[string, string[]]> = [
  ['mem_limit', ['limits', 'memory']],
  ['cpus', ['limits', 'cpus']],
  ['pids_limit', ['limits', 'pids']],
  ['mem_reservation', ['reservations', 'memory']],
  ['cpu_shares', ['reservations', 'cpus']],
];

function doubleSettings(name: string, service: ServiceSpec): ModelProblem[] {
  const resources = (service.deploy?.resources ?? {}) as Record<string, Record<string, unknown> | undefined>;
  return SAME_SETTING.filter(
    ([key, [group, inner]]) => service[key] !== undefined && resources[group!]?.[inner!] !== undefined,
  ).map(([key, [group, inner]]) => ({
    path: ['services', name, key],
    message: `service "${name}" sets both "${key}" and "deploy.resources.${group}.${inner}", which set the same thing`,
    hint: 'Keep one of them.',
  }));
}

function dotted(path: ReadonlyArray<string | number>): string {
  return path
    .map((step) => (typeof step === 'number' ? `[${step}]` : step))
    .join('.')
    .replace(/\.\[/g, '[');
}
