import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors/envctl-error.js';
import type { StateStore } from '../state/state-store.js';
import { projectFolders } from '../workspace/load.js';
import { WHICH_PROJECT } from '../workspace/root.js';
import { listedNames } from '../workspace/which-project.js';

export interface PortRow {
  project: string;
  service: string;
  containerPort: number;
  protocol: string;
  hostPort: number;
  /** Whether the project is in which-project now: a project that left keeps its ports until released. */
  listed: boolean;
  /** Why it is not the port the project prefers, when it is not: "8888 is in use by another process". */
  note: string | null;
}

/** The host ports in the engine's state (compose/state*.json), listed or not, by port; and the state's warning. */
export function allocatedPorts(root: string, store: StateStore): { rows: PortRow[]; warning: string | undefined } {
  const { state, warning } = store.read();
  const listed = new Set(listedNames(readFileSync(join(root, WHICH_PROJECT), 'utf8')));
  const rows = [...state.ports.values()]
    .map((grant) => {
      const [project = '', service = '', container = '', protocol = ''] = grant.key.split('/');
      const containerPort = Number(container);
      const note = grant.note ?? null;
      return { project, service, containerPort, protocol, hostPort: grant.value, listed: listed.has(project), note };
    })
    .sort((a, b) => a.hostPort - b.hostPort);
  return { rows, warning };
}

/** Forgets a project's ports, under the same lock as allocation; returns how many it held. */
export async function releaseProjectPorts(root: string, store: StateStore, project: string): Promise<number> {
  return store.withLock(() => {
    const { state } = store.read();
    const keys = [...state.ports.keys()].filter((key) => key.startsWith(`${project}/`));
    if (keys.length === 0) {
      const holders = [...new Set([...state.ports.keys()].map((key) => key.split('/')[0]!))];
      throw new InputError(`Project "${project}" holds no ports.`, {
        hint:
          `Projects holding ports: ${holders.join(', ') || '(none)'}. ` +
          `Projects in this workspace: ${projectFolders(root).join(', ') || '(none)'}.`,
      });
    }
    for (const key of keys) state.ports.delete(key);
    store.write(state);
    return keys.length;
  });
}
