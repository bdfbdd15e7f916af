// One allocator process, as envctl render runs it: take the workspace lock, read the state, allocate
// host ports for PROJECT's requests (all preferring 8888), write the state, print the ports as JSON.
import { allocatePorts } from '../../dist/allocation/ports/allocate-ports.js';
import { HostPortProbe } from '../../dist/allocation/ports/probe.js';
import { StateStore } from '../../dist/state/state-store.js';

const [composeDir, project, count] = process.argv.slice(2);
const store = new StateStore(composeDir);
const ports = await store.withLock(async () => {
  const { state } = store.read();
  const requests = Array.from({ length: Number(count) }, (_, i) => ({
    key: `${project}/notebook/${8000 + i}/tcp`,
    project,
    service: 'notebook',
    name: `p${i}`,
    container: 8000 + i,
    protocol: 'tcp',
    preferred: 8888,
    bind: '127.0.0.1',
    url: undefined,
  }));
  const result = await allocatePorts({
    requests,
    previous: state.ports,
    range: { from: 8800, to: 9999 },
    probe: new HostPortProbe(),
    enginePorts: new Map(),
  });
  store.write({ ...state, ports: result.state });
  return result.grants.map((grant) => grant.host);
});
process.stdout.write(JSON.stringify(ports));
