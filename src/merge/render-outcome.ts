import type { GpuAssignment } from '../allocation/gpu/allocate-gpus.js';
import type { NetworkGrant } from '../allocation/network/allocate-subnets.js';
import type { PortGrant } from '../allocation/ports/port-request.js';
import type { ComposeFile } from '../compose/compose-types.js';
import type { State } from '../state/state-store.js';

/** What load → allocate → render → merge gives: the merged model, every grant, and the state to keep. */
export interface RenderOutcome {
  merged: ComposeFile;
  perProject: Map<string, ComposeFile>;
  ports: PortGrant[];
  networks: NetworkGrant[];
  secrets: Map<string, Record<string, string>>;
  /** What each project got of the GPUs. */
  gpus: Map<string, GpuAssignment>;
  /** compose/secrets/<project>.env files to write: file → variable → value. */
  envFiles: Map<string, Record<string, string>>;
  /** The state to keep, when the caller writes. */
  state: State;
  warnings: string[];
}
