import { execa } from 'execa';

/** A test host of its own network: a namespace joined to a bridge of this machine by a veth pair. */
export interface NetnsHost {
  namespace: string;
  /** The veth end on the bridge, and the one in the namespace. */
  link: string;
  peer: string;
  address: string;
}

/**
 * A bridge of this machine that joins test hosts (swarm nodes, a Slurm cluster's nodes), each a network
 * namespace with one address on it; this machine reaches them at `gateway`'s network.
 */
export class NetnsBridge {
  constructor(
    readonly name: string,
    /** This machine's address on it, with its prefix ("10.252.7.1/24"). */
    readonly gateway: string,
  ) {}

  async create(): Promise<void> {
    await execa('ip', ['link', 'add', this.name, 'type', 'bridge']);
    await execa('ip', ['addr', 'add', this.gateway, 'dev', this.name]);
    await execa('ip', ['link', 'set', this.name, 'up']);
    // The main engine's FORWARD policy is DROP, and bridged frames go through it (br_netfilter): let the hosts talk.
    await execa('iptables', ['-I', 'FORWARD', '-i', this.name, '-o', this.name, '-j', 'ACCEPT']);
  }

  async attach(host: NetnsHost): Promise<void> {
    const inside = (args: string[]) => execa('ip', ['netns', 'exec', host.namespace, 'ip', ...args]);
    await execa('ip', ['netns', 'add', host.namespace]);
    await inside(['link', 'set', 'lo', 'up']);
    await execa('ip', ['link', 'add', host.link, 'type', 'veth', 'peer', 'name', host.peer]);
    await execa('ip', ['link', 'set', host.link, 'master', this.name, 'up']);
    await execa('ip', ['link', 'set', host.peer, 'netns', host.namespace]);
    await inside(['addr', 'add', `${host.address}/24`, 'dev', host.peer]);
    await inside(['link', 'set', host.peer, 'up']);
  }

  /** Takes the hosts and the bridge away, every step attempted. */
  async remove(hosts: readonly NetnsHost[]): Promise<void> {
    for (const host of hosts) {
      await execa('ip', ['netns', 'delete', host.namespace], { reject: false });
      await execa('ip', ['link', 'delete', host.link], { reject: false });
    }
    await execa('ip', ['link', 'delete', this.name], { reject: false });
    await execa('iptables', ['-D', 'FORWARD', '-i', this.name, '-o', this.name, '-j', 'ACCEPT'], { reject: false });
  }
}
