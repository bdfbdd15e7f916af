// Remote server bench: a workspace on a "server" over SSH (a network namespace with its own sshd and dockerd,
// as test/e2e/remote-host.ts builds it), one project running there. Interleaved, per round: `envctl ps`, the
// docker CLI's `docker -H ssh:// ps` and docker-compose's `ps` over its own SSH (both through `ssh` on PATH,
// wrapped to read this bench's ssh config), a no-op `envctl up -d` (sync, probes, plan) and docker-compose's
// no-op `up -d` of the generated file; the floor is one command on the shared SSH connection.
//   node bench/remote.mjs [rounds, default 10]
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(REPO, 'dist', 'bundle', 'main.js');
const ROUNDS = Number(process.argv[2] ?? 10);
const dir = mkdtempSync('/tmp/envctl-remote-bench-');
const ns = `envctl-bench-${process.pid}`;
const address = '10.250.251.2';
const inside = (command) => execa('nsenter', [`--net=/var/run/netns/${ns}`, ...command]);
const processes = [];

async function server() {
  await execa('ip', ['netns', 'add', ns]);
  await inside(['ip', 'link', 'set', 'lo', 'up']);
  await execa('ip', ['link', 'add', 'erbh', 'type', 'veth', 'peer', 'name', 'erbp']);
  await execa('ip', ['link', 'set', 'erbp', 'netns', ns]);
  await execa('ip', ['addr', 'add', '10.250.251.1/30', 'dev', 'erbh']);
  await execa('ip', ['link', 'set', 'erbh', 'up']);
  await inside(['ip', 'addr', 'add', `${address}/30`, 'dev', 'erbp']);
  await inside(['ip', 'link', 'set', 'erbp', 'up']);
  for (const key of ['host_key', 'client_key'])
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, key)]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
  const sshd = [
    `ListenAddress ${address}`,
    `HostKey ${join(dir, 'host_key')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
  ];
  sshd.push('PermitRootLogin prohibit-password', 'StrictModes no', 'UsePAM no', `PidFile ${join(dir, 'sshd.pid')}`);
  writeFileSync(join(dir, 'sshd_config'), `${sshd.join('\n')}\n`);
  const key = readFileSync(join(dir, 'host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  writeFileSync(join(dir, 'known_hosts'), `${address} ${key}\n`);
  writeFileSync(
    join(dir, 'ssh_config'),
    `Host *\n  IdentityFile ${join(dir, 'client_key')}\n  UserKnownHostsFile ${join(dir, 'known_hosts')}\n`,
  );
  // `ssh` on PATH for the docker CLI and docker-compose, which take no ssh config of their own.
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh -F ${join(dir, 'ssh_config')} "$@"\n`);
  chmodSync(join(dir, 'bin', 'ssh'), 0o755);
  const socket = join(dir, 'docker.sock');
  const dockerd = [
    'dockerd',
    '--data-root',
    join(dir, 'data'),
    '--exec-root',
    join(dir, 'exec'),
    '--pidfile',
    join(dir, 'docker.pid'),
  ];
  dockerd.push('-H', `unix://${socket}`, '--bridge', 'none', '--iptables=false', '--ip-masq=false');
  processes.push(execa('nsenter', [`--net=/var/run/netns/${ns}`, ...dockerd], { reject: false, stdio: 'ignore' }));
  for (let i = 0; i < 100; i++) {
    if ((await execa('docker', ['-H', `unix://${socket}`, 'info'], { reject: false })).exitCode === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await execa('sh', ['-c', `docker save busybox:latest | docker -H unix://${socket} load -q`]);
  const script = `mount --bind ${socket} /var/run/docker.sock && exec /usr/sbin/sshd -D -f ${join(dir, 'sshd_config')}`;
  processes.push(
    execa(
      'nsenter',
      [`--net=/var/run/netns/${ns}`, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', script],
      {
        reject: false,
        stdio: 'ignore',
      },
    ),
  );
  for (let i = 0; i < 100; i++) {
    if (
      (await execa(join(dir, 'bin', 'ssh'), ['-o', 'BatchMode=yes', `root@${address}`, 'true'], { reject: false }))
        .exitCode === 0
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the bench server did not answer over SSH');
}

async function time(command, args, options) {
  const started = process.hrtime.bigint();
  const result = await execa(command, args, { reject: false, ...options });
  if (result.exitCode !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  await server();
  const root = join(dir, 'workspace');
  mkdirSync(join(root, 'projects', 'site'), { recursive: true });
  cpSync(join(REPO, 'test', 'fixtures', 'templates', 'web'), join(root, 'templates', 'web'), { recursive: true });
  writeFileSync(
    join(root, 'workspace.yml'),
    `name: remotebench\nengine: ssh://root@${address}\nremote:\n  root: ${join(dir, 'remote')}\n`,
  );
  writeFileSync(join(root, 'which-project'), 'site\n');
  writeFileSync(join(root, 'projects', 'site', 'envctl.yml'), 'template: web\nports: { http: 31800 }\n');
  const env = { ENVCTL_SSH_COMMAND: `ssh -F ${join(dir, 'ssh_config')}`, NO_COLOR: '1' };
  const viaSsh = {
    PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
    DOCKER_HOST: `ssh://root@${address}`,
    COMPOSE_PARAMIKO_SSH: '0',
  };
  await time('node', [CLI, 'up', '-d'], { cwd: root, env });
  const composeFile = join(root, 'compose', 'docker-compose.yml');
  const ssh = ['-F', join(dir, 'ssh_config'), '-o', 'BatchMode=yes'];
  const shared = ['-o', `ControlPath=${join(dir, 'ctl')}`, '-o', 'ControlPersist=60'];
  const contenders = {
    'floor: ssh round trip, shared connection': () =>
      time('ssh', [...ssh, '-o', 'ControlMaster=auto', ...shared, `root@${address}`, 'true']),
    'floor: ssh round trip, new connection': () =>
      time('ssh', [...ssh, '-o', 'ControlPath=none', `root@${address}`, 'true']),
    'envctl ps': () => time('node', [CLI, 'ps'], { cwd: root, env }),
    'docker -H ssh:// ps': () => time('docker', ['ps'], { env: viaSsh }),
    'docker-compose ps (over ssh)': () =>
      time('docker-compose', ['-f', composeFile, '-p', 'remotebench', 'ps'], { env: viaSsh }),
    'envctl up -d (no-op)': () => time('node', [CLI, 'up', '-d'], { cwd: root, env }),
    'docker-compose up -d (no-op, over ssh)': () =>
      time('docker-compose', ['-f', composeFile, '-p', 'remotebench', 'up', '-d'], { env: viaSsh }),
  };
  const results = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++)
    for (const [name, run] of Object.entries(contenders)) results[name].push(await run());
  for (const [name, values] of Object.entries(results))
    console.log(
      JSON.stringify({
        name,
        medianMs: Math.round(median(values)),
        minMs: Math.round(Math.min(...values)),
        maxMs: Math.round(Math.max(...values)),
        n: values.length,
      }),
    );
  await time('node', [CLI, 'down'], { cwd: root, env });
} finally {
  await execa(
    'ssh',
    ['-F', join(dir, 'ssh_config'), '-o', `ControlPath=${join(dir, 'ctl')}`, '-O', 'exit', `root@${address}`],
    { reject: false },
  );
  for (const child of processes) child.kill('SIGTERM');
  await Promise.all(processes.map((child) => child.catch(() => undefined)));
  await execa('ip', ['netns', 'delete', ns], { reject: false });
  await execa('ip', ['link', 'delete', 'erbh'], { reject: false });
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((path) => path.startsWith(dir));
  for (const path of mounts.reverse()) await execa('umount', ['-l', path], { reject: false });
  rmSync(dir, { recursive: true, force: true });
}
