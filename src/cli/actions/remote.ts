import { deploymentOf } from '../../pipeline/deployments.js';
import { engineChoice, openWorkspace } from '../../pipeline/edges.js';
import { selectProjects } from '../../pipeline/select-projects.js';
import type { GlobalOptions } from '../context.js';
import { printJson, table } from '../output.js';
import { color, warn } from '../terminal.js';

/** envctl sync: the listed projects' folders, both ways, with where they run; conflicts said, both versions kept. */
export async function syncAction(globals: GlobalOptions, projects: string[]): Promise<void> {
  const workspace = openWorkspace(globals.workspace);
  const only = selectProjects(workspace, projects);
  const deployment = await deploymentOf(engineChoice(workspace.settings, globals.engine));
  const synced = await deployment.sync(workspace, only, syncPrinted);
  for (const { host, report } of synced) if (report.items.length === 0) process.stdout.write(`In sync with ${host}.\n`);
  if (synced.length === 0)
    process.stdout.write('No project of the workspace has its folder where it runs: nothing to sync.\n');
}

/** envctl tunnel: forwards for a detached workspace on a server (or a swarm's nodes), until Ctrl+C. */
export async function tunnelAction(globals: GlobalOptions, options: { json?: boolean }): Promise<void> {
  const workspace = openWorkspace(globals.workspace);
  const deployment = await deploymentOf(engineChoice(workspace.settings, globals.engine));
  const tunnel = await deployment.tunnel(workspace);
  for (const grant of tunnel.udp)
    warn(`${grant.project}/${grant.service}: UDP port ${grant.host} is not forwarded (SSH carries TCP only).`);
  if (tunnel.rows.length === 0) {
    process.stdout.write('Nothing of the workspace publishes a port there; run "envctl up -d" first.\n');
    await tunnel.stop();
    return;
  }
  if (options.json) printJson(tunnel.rows);
  else {
    const rows = tunnel.rows.map((row) => [
      row.project,
      row.service,
      `127.0.0.1:${row.local}`,
      `${row.host}:${row.remote}`,
    ]);
    process.stdout.write(`${table(['PROJECT', 'SERVICE', 'HERE', 'THERE'], rows)}\n`);
    process.stdout.write(color.dim('Forwarding until Ctrl+C.\n'));
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await tunnel.stop();
}

const syncPrinted = {
  synced: (lines: string[]) => process.stdout.write(`${lines.join('\n')}\n`),
  warning: warn,
};
