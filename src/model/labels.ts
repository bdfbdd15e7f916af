/** The labels Docker Compose itself puts on what it makes, so `docker-compose ps` lists what envctl started. */
export const COMPOSE_LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  containerNumber: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  configHash: 'com.docker.compose.config-hash',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  version: 'com.docker.compose.version',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  dependsOn: 'com.docker.compose.depends_on',
  image: 'com.docker.compose.image',
} as const;

/** The version of the Compose file format envctl writes labels for (the one docker-compose 1.29 reads). */
export const COMPOSE_VERSION = '1.29.2';

/** Labels envctl puts on what it makes, beside the ones Compose adds; the engine's labels are the truth. */
export const LABEL = {
  workspace: 'dev.envctl.workspace',
  root: 'dev.envctl.workspace.root',
  project: 'dev.envctl.project',
  service: 'dev.envctl.service',
  network: 'dev.envctl.network',
} as const;

/** envctl's own label for the settings of a network or volume it made. */
export const ENVCTL_CONFIG_HASH = 'dev.envctl.config-hash';

/** On a built image: the content hash of its build inputs (src/engine/build-hash.ts). */
export const ENVCTL_BUILD_HASH = 'dev.envctl.build-hash';

/** Labels on a container that holds GPUs: which units, and whether it holds them alone. */
export const GPU_LABEL = {
  gpus: 'dev.envctl.gpus',
  sharing: 'dev.envctl.gpu-sharing',
} as const;

/** The label `docker stack deploy` puts on a stack's services, networks and containers. */
export const STACK_NAMESPACE = 'com.docker.stack.namespace';
/** On a swarm service: the hash of its spec; a service whose hash is unchanged is left alone. */
export const SWARM_SPEC_HASH = 'dev.envctl.swarm-spec-hash';

/** On a swarm service whose project mounts its folder: the node it is synced with is the one its task runs on. */
export const SWARM_SYNCED_FOLDER = 'dev.envctl.synced-folder';
