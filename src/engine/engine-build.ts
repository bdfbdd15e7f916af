import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import type Docker from 'dockerode';
import tarFs from 'tar-fs';
import { EngineError } from '../errors/envctl-error.js';
import type { BuildOptions, BuildProgress } from './engine.js';
import { buildInputs, contextIgnore, DOCKERIGNORE } from './build-hash.js';
import { dockerfileText } from './user-layer.js';
import { scopedCacheMounts, withoutCacheMounts } from './cache-mounts.js';
import { BUILDKIT_TRACE, BuildTranscript, decodeTrace, type BuildFailurePoint } from './buildkit-trace.js';
import { BuildSteps, buildKitRefused, lacksDefaultBridge, pullFailureOf } from './engine-messages.js';
import { BaseImageError, BuildKitUnavailableError } from './engine-errors.js';
import { dial, firstLine, followEvents } from './engine-streams.js';

/** What a build stream carries: classic output lines, BuildKit's trace, or the error that ended it. */
interface BuildMessage {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  aux?: unknown;
}

/**
 * Builds an image through the Engine API: with BuildKit (`version=2`, no client session: the context travels
 * in the request's body, as for the classic builder) or the classic builder, as options.builder says.
 */
export async function buildImage(
  docker: Docker,
  address: string,
  options: BuildOptions,
  progress: BuildProgress,
): Promise<void> {
  const dockerfile = resolve(options.context, options.dockerfile ?? 'Dockerfile');
  if (!existsSync(options.context)) throw new EngineError(`The build context ${options.context} does not exist.`);
  const buildKit = options.builder === 'buildkit';
  const context = buildContext(options, dockerfile, buildKit);
  const reader = buildKit ? new BuildTranscript() : new BuildSteps(options.args);
  let stream: Readable;
  try {
    stream = await postBuild(docker, context.tar as unknown as NodeJS.ReadableStream, {
      t: options.tag,
      dockerfile: context.dockerfileName,
      buildargs: options.args,
      labels: options.labels,
      rm: true,
      // A failed step's container too: a failed build leaves nothing behind.
      forcerm: true,
      ...(buildKit ? { version: '2' } : {}),
      ...(options.noCache ? { nocache: true } : {}),
      ...(options.target ? { target: options.target } : {}),
    });
  } catch (cause) {
    if (buildKit && buildKitRefused(cause)) throw new BuildKitUnavailableError(address, firstLine(cause), cause);
    throw buildFailure(options, dockerfile, reader, cause);
  }
  try {
    await followEvents(docker, stream, (message: BuildMessage) => readMessage(message, reader, progress));
  } catch (cause) {
    throw buildFailure(options, dockerfile, reader, cause);
  }
}

/**
 * POST /build with the context as the body. Not dockerode's buildImage: for version 2 it opens a gRPC session
 * first (loading .proto files from its own folder, which a bundle does not have), and this build needs none.
 */
function postBuild(docker: Docker, context: NodeJS.ReadableStream, query: Record<string, unknown>): Promise<Readable> {
  const statusCodes = { 200: true, 400: 'bad parameter', 500: 'server error' };
  return dial<Readable>(docker, {
    path: '/build?',
    method: 'POST',
    file: context,
    options: query,
    isStream: true,
    statusCodes,
  });
}

function readMessage(message: BuildMessage, reader: BuildSteps | BuildTranscript, progress: BuildProgress): void {
  if (message.id === BUILDKIT_TRACE && typeof message.aux === 'string') {
    if (reader instanceof BuildTranscript) reader.read(decodeTrace(message.aux), progress);
    return;
  }
  const text =
    message.stream ??
    (message.status
      ? `${message.id ? `${message.id}: ` : ''}${message.status}${message.progress ? ` ${message.progress}` : ''}`
      : '');
  // The classic builder wraps a step's stderr in colour codes (ESC[91m): markers for a terminal, not output.
  for (const line of stripVTControlCharacters(text).split('\n')) {
    if (!line.trim()) continue;
    const step = reader instanceof BuildSteps ? reader.read(line) : undefined;
    progress({ text: line.trimEnd(), ...(step ? { step } : {}) });
  }
}

function buildFailure(options: BuildOptions, dockerfile: string, reader: BuildFailurePoint, cause: unknown): Error {
  // The step that failed was a FROM: its image could not be pulled, whatever the Dockerfile says after it.
  const base = reader.pullingBase;
  if (base) {
    const reason = reader.failedError ?? firstLine(cause);
    return new BaseImageError(options.tag, base, reason, pullFailureOf(reason), cause);
  }
  const step = reader.failedStep ? ` at step ${reader.failedStep}` : '';
  const message = firstLine(cause);
  return new EngineError(`Building ${options.tag} from ${options.context} failed${step}: ${message}`, {
    cause,
    hint: lacksDefaultBridge(message)
      ? "A build's RUN steps run on the engine's default bridge, and this engine has none (dockerd --bridge " +
        'none, or "bridge": "none" in daemon.json): start it with its default bridge, then envctl up again.'
      : "The build's output shows the failing step: fix what it reads (the project's files it copies, such as " +
        `requirements.txt) or the Dockerfile (${dockerfile}); envctl up --build builds again.`,
  });
}

/**
 * The build context as a tar stream: only what the Dockerfile reads travels (a project's data/ stays home),
 * unless only the build can tell, less .dockerignore. A Dockerfile outside the context (a template's), or one
 * envctl changes (its user layer, its cache mounts), travels inside the tar under a name of its own.
 */
function buildContext(options: BuildOptions, dockerfile: string, buildKit: boolean) {
  const rewritten = options.userLayer === true || options.cacheScope !== undefined;
  const inside = !relative(options.context, dockerfile).startsWith('..') && !rewritten;
  const dockerfileName = inside ? relative(options.context, dockerfile) : '.envctl.Dockerfile';
  const missing = options.dependencyFiles.filter((file) => !existsSync(join(options.context, file)));
  const ignored = contextIgnore(options.context);
  const named = (options.inputs ?? buildInputs(options)).entries;
  const entries =
    named &&
    [...new Set([...named, ...(inside ? [dockerfileName] : []), DOCKERIGNORE])].filter(
      (entry) => !ignored(entry) && existsSync(join(options.context, entry)),
    );
  const text = () => {
    const own = dockerfileText(readFileSync(dockerfile, 'utf8'), options.userLayer);
    if (options.cacheScope === undefined) return own;
    if (!buildKit) return withoutCacheMounts(own);
    return scopedCacheMounts(own, options.cacheScope, { emptied: options.noCache === true });
  };
  const tar = tarFs.pack(options.context, {
    ...(entries ? { entries } : {}),
    finalize: false,
    ignore: (name) => {
      const file = relative(options.context, name).split(sep).join('/');
      return file !== dockerfileName && ignored(file);
    },
    finish: (pack) => {
      if (!inside) pack.entry({ name: dockerfileName }, text());
      for (const file of missing) pack.entry({ name: file }, '');
      pack.finalize();
    },
  });
  return { tar, dockerfileName };
}
