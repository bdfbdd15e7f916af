import { connectEngineOf, engineChoice, openWorkspace } from '../../pipeline/edges.js';
import { publishedOnServer, requiredRemoteSession } from '../../pipeline/remote-session.js';
import { selectProjects } from '../../pipeline/select-projects.js';
import type { GlobalOptions } from '../context.js';
import { printJson, table } from '../output.js';
import { color, warn } from '../terminal.js';

/** envctl sync: the listed projects' folders, both ways, with the server; conflicts reported, both versions kept. */
export async function syncAction(globals: GlobalOptions, projects: string[]): Promise<void> {
  const workspace = openWorkspace(globals.workspace);
  const only = selectProjects(workspace, projects);
  const choice = engineChoice(workspace.settings, globals.engine);
  const remote = await requiredRemoteSession(workspace, choice, 'sync', only, syncPrinted);
  const report = await remote.sync();
  if (report.items.length === 0) process.stdout.write(`In sync with ${remote.hostName}.\n`);
}

/** envctl tunnel: forwards for a detached workspace on a server, until Ctrl+C. */
export async function tunnelAction(globals: GlobalOptions, options: { json?: boolean }): Promise<void> {
  const workspace = openWorkspace(globals.workspace);
  const choice = engineChoice(workspace.settings, globals.engine);
  const remote = await requiredRemoteSession(workspace, choice, 'tunnel', undefined, syncPrinted);
  const engine = await connectEngineOf(choice);
  const grants = await publishedOnServer(engine, workspace.root, workspace.settings);
  if (grants.length === 0) {
    process.stdout.write(
      `Nothing of the workspace publishes a port on ${remote.hostName}; run "envctl up -d" first.\n`,
    );
    return;
  }
  const { forwards, udp } = await remote.forward(grants);
  for (const grant of udp)
    warn(`${grant.project}/${grant.service}: UDP port ${grant.host} is not forwarded (SSH carries TCP only).`);
  if (options.json) printJson(forwards);
  else {
    const rows = forwards.map((forward) => [
      forward.project,
      forward.service,
      `127.0.0.1:${forward.local}`,
      `${remote.hostName}:${forward.remote}`,
    ]);
    process.stdout.write(`${table(['PROJECT', 'SERVICE', 'HERE', 'SERVER'], rows)}\n`);
    process.stdout.write(color.dim('Forwarding until Ctrl+C.\n'));
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await remote.stop();
}

const syncPrinted = {
  synced: (lines: string[]) => process.stdout.write(`${lines.join('\n')}\n`),
  warning: warn,
};
