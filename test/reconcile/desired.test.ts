import { describe, expect, it } from 'vitest';
import type { ComposeFile } from '../../src/compose/compose-types.js';
import { COMPOSE_LABEL, ENVCTL_CONFIG_HASH, LABEL } from '../../src/model/labels.js';
import { desiredState } from '../../src/reconcile/desired.js';

const CONTEXT = {
  projectName: 'ws',
  root: '/ws',
  composeDir: '/ws/compose',
  configFile: '/ws/compose/docker-compose.yml',
  envFiles: new Map<string, Record<string, string>>(),
};
const projectLabels = { [LABEL.root]: '/ws', [LABEL.project]: 'p' };

function model(extra: Partial<ComposeFile> = {}): ComposeFile {
  return {
    services: {
      'p-web': {
        image: 'busybox',
        labels: projectLabels,
        ports: ['127.0.0.1:8080:80'],
        volumes: ['data:/data', './notebooks:/work:ro'],
        networks: { back: { aliases: ['web'] }, front: null },
      },
    },
    networks: {
      back: { labels: projectLabels, ipam: { config: [{ subnet: '10.213.0.0/24', gateway: '10.213.0.1' }] } },
      front: { name: 'front_net', labels: projectLabels, internal: true },
    },
    volumes: { data: { labels: projectLabels, driver_opts: { type: 'tmpfs' } } },
    ...extra,
  };
}

describe('desiredState: the merged model as the Engine API bodies envctl sends', () => {
  it('makes each network with its subnet and the Compose labels, and hashes its settings into a label', () => {
    const { networks } = desiredState(model(), CONTEXT);
    const back = networks.find((network) => network.key === 'back')!;
    expect(back.name).toBe('ws_back');
    expect(back.project).toBe('p');
    expect(back.create).toMatchObject({
      Name: 'ws_back',
      Driver: 'bridge',
      CheckDuplicate: true,
      Internal: false,
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.213.0.0/24', Gateway: '10.213.0.1' }] },
      Labels: { ...projectLabels, [COMPOSE_LABEL.project]: 'ws', [COMPOSE_LABEL.network]: 'back' },
    });
    expect(back.create.Labels?.[ENVCTL_CONFIG_HASH]).toBe(back.hash);
    expect(networks.find((network) => network.key === 'front')).toMatchObject({
      name: 'front_net',
      create: { Name: 'front_net', Internal: true },
    });
  });

  it('makes each named volume with its driver options and labels', () => {
    const [volume] = desiredState(model(), CONTEXT).volumes;
    expect(volume).toMatchObject({
      key: 'data',
      name: 'ws_data',
      external: false,
      create: {
        Name: 'ws_data',
        Driver: 'local',
        DriverOpts: { type: 'tmpfs' },
        Labels: { ...projectLabels, [COMPOSE_LABEL.volume]: 'data' },
      },
    });
  });

  it('joins the first network at create with its aliases, and names the others to connect after', () => {
    const [web] = desiredState(model(), CONTEXT).services;
    expect(web!.containerName).toBe('ws-p-web-1');
    expect(web!.create.NetworkingConfig).toEqual({ EndpointsConfig: { ws_back: { Aliases: ['web'] } } });
    expect(web!.networks).toEqual([
      { name: 'ws_back', aliases: ['web'] },
      { name: 'front_net', aliases: [] },
    ]);
    expect(web!.create.HostConfig).toMatchObject({
      NetworkMode: 'ws_back',
      Binds: ['ws_data:/data', './notebooks:/work:ro'],
      PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] },
    });
  });

  it('gives a service a config hash that changes with what needs a new container, and only with that', () => {
    const hashOf = (extra: Partial<ComposeFile>) => desiredState(model(extra), CONTEXT).services[0]!.hash;
    const base = hashOf({});
    expect(hashOf({})).toBe(base);
    const web = model().services!['p-web']!;
    expect(hashOf({ services: { 'p-web': { ...web, environment: { A: '1' } } } })).not.toBe(base);
    expect(hashOf({ services: { 'p-web': { ...web, ports: ['127.0.0.1:8081:80'] } } })).not.toBe(base);
    const [service] = desiredState(model(), CONTEXT).services;
    expect(service!.create.Labels?.[COMPOSE_LABEL.configHash]).toBe(service!.hash);
  });
});

describe('desiredState on a server: bind sources where its engine finds them', () => {
  it('maps the host path of short and long binds, not named volumes', () => {
    const onServer = { ...CONTEXT, bindSource: (path: string) => `/srv${path}` };
    const [service] = desiredState(
      model({
        services: {
          'p-web': {
            image: 'busybox',
            labels: projectLabels,
            volumes: [
              'data:/data',
              '/ws/projects/p:/work:ro',
              { type: 'bind', source: '/ws/projects/p/in', target: '/in' },
            ],
          },
        },
      }),
      onServer,
    ).services;
    const host = service!.create.HostConfig as { Binds: string[]; Mounts: Array<{ Source: string }> };
    expect(host.Binds).toEqual(['ws_data:/data', '/srv/ws/projects/p:/work:ro']);
    expect(host.Mounts.map((mount) => mount.Source)).toEqual(['/srv/ws/projects/p/in']);
  });
});
