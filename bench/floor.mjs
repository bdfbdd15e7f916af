// The engine's floor: the containers of a merged compose file created and started in parallel through the
// raw Engine API, with nothing else: no render, no plan, no labels beyond the file's. `down` stops and
// removes them in parallel. Usage: node bench/floor.mjs up|down <compose-file>
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { parse } from 'yaml';

const [command, file] = process.argv.slice(2);
const model = parse(readFileSync(file, 'utf8').replaceAll('$$', '$'));
const docker = new Docker();
// A name of its own per run: a network dockerd 20.10 keeps with a stale endpoint (moby/moby#43286) must not
// block the next run's.
const project = process.env.FLOOR_PROJECT ?? 'floor';
const name = (service) => `${project}-${service}`;

if (command === 'up') {
  await Promise.all(
    Object.values(model.networks ?? {}).map((network) =>
      docker.createNetwork({
        Name: `${project}-${network.name}`,
        Driver: 'bridge',
        IPAM: { Config: network.ipam.config.map((c) => ({ Subnet: c.subnet, Gateway: c.gateway })) },
        Labels: { bench: project },
      }),
    ),
  );
  await Promise.all(
    Object.entries(model.services).map(async ([service, spec]) => {
      const bindings = {};
      const exposed = {};
      for (const port of spec.ports ?? []) {
        const [ip, host, rest] = port.split(':');
        const [target, protocol] = rest.split('/');
        exposed[`${target}/${protocol}`] = {};
        bindings[`${target}/${protocol}`] = [{ HostIp: ip, HostPort: host }];
      }
      const network = Object.keys(spec.networks ?? {})[0];
      const container = await docker.createContainer({
        name: name(service),
        Image: spec.image,
        Cmd: spec.command,
        Labels: { bench: project },
        StopSignal: spec.stop_signal,
        ExposedPorts: exposed,
        HostConfig: { PortBindings: bindings, NetworkMode: `${project}-${model.networks[network].name}` },
      });
      await container.start();
    }),
  );
} else {
  const containers = await docker.listContainers({ all: true, filters: { label: [`bench=${project}`] } });
  await Promise.all(
    containers.map(async (c) => {
      await docker
        .getContainer(c.Id)
        .stop()
        .catch(() => undefined);
      await docker.getContainer(c.Id).remove();
    }),
  );
  const networks = await docker.listNetworks({ filters: { label: [`bench=${project}`] } });
  await Promise.all(networks.map((n) => removeNetwork(n)));
}

/** As the engine allows: a moment's retry for an endpoint still going; a stale one is reported, not fatal. */
async function removeNetwork(network) {
  for (const delay of [200, 500, 1000, undefined]) {
    try {
      return await docker.getNetwork(network.Id).remove();
    } catch (error) {
      if (!/has active endpoints/.test(error.message)) throw error;
      if (delay === undefined) {
        process.stderr.write(`floor: stale endpoint: dockerd would not remove network ${network.Name}\n`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
