import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { execa, execaSync, type ResultPromise } from 'execa';
import { NetnsBridge } from './netns.js';
import { knownHostsLine, makeKey, prepareSshd, startSshd, type RunningSshd } from './sshd.js';

/**
 * A real Slurm cluster of Debian's packages on this machine: a "login node" (slurmctld and an sshd, the only
 * way in) and two "compute nodes" (slurmd), each in a network namespace with a hostname of its own, joined by
 * a bridge; one munged (a socket of the cluster's own) authenticates them. Each compute node has 2 CPUs and
 * two stand-in GPUs (gres.conf File= character devices of the NVIDIA major, 195, as /dev/nvidia<n> are), so
 * Slurm hands out GPUs, sets CUDA_VISIBLE_DEVICES and keeps a job that asks too many pending (Resources).
 * The namespaces share this machine's filesystem: `shared` is the folder every node sees, as a cluster's
 * home or scratch filesystem is. Jobs run Charliecloud's ch-run (Debian's charliecloud), unprivileged.
 */
export class SlurmCluster {
  readonly dir = mkdtempSync('/tmp/envctl-slurm-');
  private readonly tag = `${process.pid % 1000}${Math.floor(Math.random() * 100)}`;
  private readonly octet = 1 + (Number(this.tag) % 250);
  private readonly bridge = new NetnsBridge(`ecb${this.tag}`, `10.253.${this.octet}.1/24`);
  readonly nodes = ['login', 'c1', 'c2'].map((name, index) => ({
    name,
    namespace: `envctl-sl-${this.tag}-${name}`,
    link: `ecv${this.tag}${index}`,
    peer: `ecp${this.tag}${index}`,
    address: `10.253.${this.octet}.${10 + index}`,
  }));
  readonly sshConfig = join(this.dir, 'ssh_config');
  /** The folder every node sees. */
  readonly shared = join(this.dir, 'shared');
  readonly slurmConf = join(this.dir, 'etc', 'slurm.conf');
  private readonly daemons: ResultPromise[] = [];
  private sshd: RunningSshd | undefined;

  /** ENVCTL_SSH_COMMAND for envctl: the laptop's ssh, with the login node's name, key and known_hosts. */
  get sshCommand(): string {
    return `ssh -F ${this.sshConfig}`;
  }

  get loginUrl(): string {
    return 'ssh://root@login';
  }

  async start(): Promise<void> {
    await this.bridge.create();
    for (const node of this.nodes) await this.bridge.attach(node);
    mkdirSync(this.shared, { recursive: true });
    await this.startMunge();
    this.writeConfig();
    this.daemons.push(this.inside('login', ['/usr/sbin/slurmctld', '-D', '-i']));
    for (const node of ['c1', 'c2']) this.daemons.push(this.inside(node, ['/usr/sbin/slurmd', '-D', '-N', node]));
    await this.startSshd();
    await until(async () => {
      const { stdout } = await this.slurm('sinfo', ['--noheader', '--Node', '-o', '%N %T']);
      return stdout.split('\n').filter((line) => / idle$/.test(line.trim())).length === 2;
    }, 'both compute nodes idle');
  }

  /** Runs a Slurm command on this machine (a client of the cluster, as the login node is). */
  slurm(command: string, args: string[]) {
    return execa(command, args, { env: { SLURM_CONF: this.slurmConf }, reject: false });
  }

  async remove(): Promise<void> {
    await this.slurm('scancel', ['--user=root']);
    await execa('/usr/sbin/munged', ['--stop', `--socket=${this.mungeSocket}`], { reject: false });
    await this.sshd?.stop();
    for (const daemon of this.daemons) {
      daemon.kill('SIGTERM');
      await daemon;
    }
    await this.bridge.remove(this.nodes);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A daemon in a node's network namespace, under the node's hostname (a UTS namespace of its own). */
  private inside(name: string, command: string[]): ResultPromise {
    const node = this.nodes.find((candidate) => candidate.name === name)!;
    const script = `hostname ${name} && exec "$@"`;
    return execa('ip', ['netns', 'exec', node.namespace, 'unshare', '--uts', 'sh', '-c', script, 'sh', ...command], {
      env: { SLURM_CONF: this.slurmConf },
      reject: false,
      stdout: 'ignore',
      stderr: 'ignore',
    });
  }

  private async startMunge(): Promise<void> {
    const key = join(this.dir, 'munge.key');
    writeFileSync(key, randomBytes(128));
    chmodSync(key, 0o600);
    const file = (name: string) => join(this.dir, `munged.${name}`);
    await execa('/usr/sbin/munged', [
      '--force',
      `--key-file=${key}`,
      `--socket=${this.mungeSocket}`,
      `--pid-file=${file('pid')}`,
      `--log-file=${file('log')}`,
      `--seed-file=${file('seed')}`,
    ]);
  }

  private get mungeSocket(): string {
    return join(this.dir, 'munge.socket');
  }

  private writeConfig(): void {
    const etc = join(this.dir, 'etc');
    const dev = join(this.dir, 'dev');
    for (const dir of [etc, dev, join(this.dir, 'state'), join(this.dir, 'spool'), join(this.dir, 'log')])
      mkdirSync(dir, { recursive: true });
    for (const node of ['c1', 'c2'])
      for (const gpu of [0, 1]) execaSync('mknod', [join(dev, `${node}-nvidia${gpu}`), 'c', '195', String(gpu)]);
    const [login, c1, c2] = this.nodes.map((node) => node.address) as [string, string, string];
    writeFileSync(
      this.slurmConf,
      [
        'ClusterName=envctl-test',
        `SlurmctldHost=login(${login})`,
        'SlurmUser=root',
        'SlurmdUser=root',
        'AuthType=auth/munge',
        `AuthInfo=socket=${this.mungeSocket}`,
        `StateSaveLocation=${join(this.dir, 'state')}`,
        `SlurmdSpoolDir=${join(this.dir, 'spool')}/%n`,
        `SlurmctldPidFile=${join(this.dir, 'slurmctld.pid')}`,
        `SlurmdPidFile=${join(this.dir, 'slurmd-%n.pid')}`,
        `SlurmctldLogFile=${join(this.dir, 'log', 'slurmctld.log')}`,
        `SlurmdLogFile=${join(this.dir, 'log', 'slurmd-%n.log')}`,
        'MailProg=/bin/true',
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_Core',
        'GresTypes=gpu',
        'ReturnToService=2',
        'MpiDefault=none',
        'JobAcctGatherType=jobacct_gather/none',
        // A job past its time limit is ended within seconds, not the default half minute.
        'KillWait=2',
        'MinJobAge=600',
        `NodeName=c1 NodeAddr=${c1} CPUs=2 RealMemory=1000 Gres=gpu:2 State=UNKNOWN`,
        `NodeName=c2 NodeAddr=${c2} CPUs=2 RealMemory=1000 Gres=gpu:2 State=UNKNOWN`,
        'PartitionName=gpu Nodes=c1,c2 Default=YES MaxTime=INFINITE State=UP',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(etc, 'gres.conf'),
      ['c1', 'c2'].map((node) => `NodeName=${node} Name=gpu File=${join(dev, `${node}-nvidia`)}[0-1]\n`).join(''),
    );
    // This machine mounts cgroup v1: slurmd's autodetection does not find it on its own.
    writeFileSync(
      join(etc, 'cgroup.conf'),
      'CgroupPlugin=cgroup/v1\nCgroupMountpoint=/sys/fs/cgroup\nCgroupAutomount=no\n',
    );
  }

  private async startSshd(): Promise<void> {
    const login = this.nodes[0]!;
    const clientKey = join(this.dir, 'client_key');
    await makeKey(clientKey);
    const home = join(this.dir, 'home');
    mkdirSync(join(home, '.unison'), { recursive: true });
    const options = {
      dir: join(this.dir, 'login-ssh'),
      namespace: login.namespace,
      address: login.address,
      clientKey,
      environment: [
        `SLURM_CONF=${this.slurmConf}`,
        `HOME=${home}`,
        `UNISON=${join(home, '.unison')}`,
        'PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
      ],
      binds: [{ source: join(this.dir, 'hosts'), target: '/etc/hosts' }],
    };
    // The login node resolves the compute nodes' names, as a cluster's DNS or /etc/hosts does.
    const hosts = join(this.dir, 'hosts');
    const names = this.nodes.map((node) => `${node.address} ${node.name}\n`).join('');
    writeFileSync(hosts, `${readFileSync('/etc/hosts', 'utf8')}${names}`);
    await prepareSshd(options);
    const knownHosts = join(this.dir, 'known_hosts');
    writeFileSync(knownHosts, knownHostsLine(options, [login.address]));
    writeFileSync(
      this.sshConfig,
      `Host login\n  HostName ${login.address}\n` +
        `Host *\n  IdentityFile ${clientKey}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${knownHosts}\n`,
    );
    this.sshd = await startSshd(options, this.sshConfig);
  }
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what}: not within 30 s`);
}
