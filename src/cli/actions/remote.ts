import { InputError } from '../../errors/envctl-error.js';
import {
  connectEngineOf,
  engineChoice,
  openWorkspace,
  remoteServerOf,
  type EngineChoice,
  type RemoteServer,
} from '../../pipeline/edges.js';
import { publishedOnServer, syncProjects, tunnelKeeper } from '../../pipeline/remote-session.js';
import { selectProjects } from '../../pipeline/select-projects.js';
import type { Workspace } from '../../workspace/load.js';
import type { GlobalOptions } from '../context.js';
import { printJson, table } from '../output.js';
import { color, warn } from '../terminal.js';

/** envctl sync: the listed projects' folders, both ways, with the server; conflicts reported, both versions kept. */
export async function syncAction(globals: GlobalOptions, projects: string[]): Promise<void> {
  const workspace = openWorkspace(globals.workspace);
  const only = selectProjects(workspace, projects);
  const server = await serverOf(workspace, engineChoice(workspace.settings, globals.engine), 'sync');
  const report = await syncProjects(workspace, server, only, {
    synced: (lines) => process.stdout.write(`${lines.join('\n')}\n`),
    warning: warn,
  });
  if (report.items.length === 0) process.stdout.write(`In sync with ${server.ssh.hostName}.\n`);
}

/** envctl tunnel: forwards for a detached workspace on a server, until Ctrl+C. */
export async function tunnelAction(globals: GlobalOptions, options: { json?: boolean }): Promise<void> {
  const workspace = openWorkspace(globals.workspace);
  const choice = engineChoice(workspace.settings, globals.engine);
  const server = await serverOf(workspace, choice, 'tunnel');
  const engine = await connectEngineOf(choice);
  const grants = await publishedOnServer(engine, workspace.root, workspace.settings);
  if (grants.length === 0) {
    process.stdout.write(
      `Nothing of the workspace publishes a port on ${server.ssh.hostName}; run "envctl up -d" first.\n`,
    );
    return;
  }
  const keeper = tunnelKeeper(workspace, server, choice);
  const { forwards, udp } = await keeper.update(grants);
  for (const grant of udp)
    warn(`${grant.project}/${grant.service}: UDP port ${grant.host} is not forwarded (SSH carries TCP only).`);
  if (options.json) printJson(forwards);
  else {
    const rows = forwards.map((forward) => [
      forward.project,
      forward.service,
      `127.0.0.1:${forward.local}`,
      `${server.ssh.hostName}:${forward.remote}`,
    ]);
    process.stdout.write(`${table(['PROJECT', 'SERVICE', 'HERE', 'SERVER'], rows)}\n`);
    process.stdout.write(color.dim('Forwarding until Ctrl+C.\n'));
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await keeper.stop();
}

async function serverOf(workspace: Workspace, choice: EngineChoice, command: string): Promise<RemoteServer> {
  const server = await remoteServerOf(workspace, choice);
  if (!server) {
    throw new InputError(
      `envctl ${command} works with a workspace on a server over SSH, and this one runs on ${choice.target.url}.`,
      { hint: 'Name the server in workspace.yml (engine: ssh://user@host) or with --engine ssh://user@host.' },
    );
  }
  return server;
}
