import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors/envctl-error.js';
import { StateStore } from '../../state/state-store.js';
import { projectFolders } from '../../workspace/load.js';
import { findWorkspaceRoot, WHICH_PROJECT } from '../../workspace/root.js';
import { listedNames } from '../../workspace/which-project.js';
import { composeDirOf, type GlobalOptions } from '../context.js';
import { printJson, table } from '../output.js';
import { warn } from '../terminal.js';

/** envctl ports: the allocations kept in compose/state.json, listed project or not. */
export function listPorts(globals: GlobalOptions, options: { json?: boolean }): void {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const { state, warning } = new StateStore(composeDirOf(root)).read();
  if (warning) warn(warning);
  const listed = new Set(listedNames(readFileSync(join(root, WHICH_PROJECT), 'utf8')));
  const rows = [...state.ports.values()]
    .map((grant) => {
      const [project = '', service = '', container = '', protocol = ''] = grant.key.split('/');
      return {
        project,
        service,
        containerPort: Number(container),
        protocol,
        hostPort: grant.value,
        listed: listed.has(project),
      };
    })
    .sort((a, b) => a.hostPort - b.hostPort);
  if (options.json) return printJson(rows);
  if (rows.length === 0) return void process.stdout.write('No ports allocated yet: run "envctl render".\n');
  const cells = rows.map((row) => [
    String(row.hostPort),
    row.project,
    row.service,
    `${row.containerPort}/${row.protocol}`,
    row.listed ? 'yes' : 'no',
  ]);
  process.stdout.write(`${table(['HOST PORT', 'PROJECT', 'SERVICE', 'CONTAINER PORT', 'LISTED'], cells)}\n`);
}

/** envctl ports release: forget a project's ports, under the same lock as allocation. */
export async function releasePorts(globals: GlobalOptions, project: string): Promise<void> {
  const root = findWorkspaceRoot(process.cwd(), globals.workspace);
  const store = new StateStore(composeDirOf(root));
  const released = await store.withLock(() => {
    const { state } = store.read();
    const keys = [...state.ports.keys()].filter((key) => key.startsWith(`${project}/`));
    if (keys.length === 0) {
      const holders = [...new Set([...state.ports.keys()].map((key) => key.split('/')[0]!))];
      throw new InputError(`Project "${project}" holds no ports.`, {
        hint: `Projects holding ports: ${holders.join(', ') || '(none)'}. Projects in this workspace: ${projectFolders(root).join(', ') || '(none)'}.`,
      });
    }
    for (const key of keys) state.ports.delete(key);
    store.write(state);
    return keys.length;
  });
  process.stdout.write(`Released ${released} port${released === 1 ? '' : 's'} of ${project}.\n`);
}
