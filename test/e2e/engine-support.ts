import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { LABEL } from '../../src/model/labels.js';
import { afterEach } from 'vitest';
import { makeWorkspace, removeWorkspace, REPO } from '../support/workspace.js';

export const docker = new Docker();

/** Whether a Docker Engine answers; CI starts one (scripts/test-engine.sh), and there it must. */
export async function engineAnswers(): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    if (process.env.CI === 'true')
      throw new Error('CI must have a Docker Engine: .ci/run starts one with scripts/test-engine.sh');
    return false;
  }
}

/** The locally built Debian Jupyter image (scripts/test-engine.sh), where an engine answers and has it. */
export const JUPYTER_IMAGE = 'envctl-test/jupyter:bookworm';
export async function hasImage(reference: string): Promise<boolean> {
  return docker
    .getImage(reference)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

/** A workspace holding the test template "web" (busybox httpd) and the built-in ones. */
export function engineWorkspace(files: Record<string, string>): string {
  const root = makeWorkspace(files);
  mkdirSync(join(root, 'templates'), { recursive: true });
  cpSync(join(REPO, 'test', 'fixtures', 'templates', 'web'), join(root, 'templates', 'web'), { recursive: true });
  return root;
}

export async function workspaceContainers(root: string) {
  return docker.listContainers({ all: true, filters: { label: [`${LABEL.root}=${root}`] } });
}

export async function workspaceNetworks(root: string) {
  return docker.listNetworks({ filters: { label: [`${LABEL.root}=${root}`] } });
}

export async function httpGet(url: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return { status: response.status, body: await response.text() };
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** Removes whatever a test left of its workspace on the engine, by labels. */
export async function cleanEngine(root: string): Promise<void> {
  for (const info of await workspaceContainers(root))
    await docker
      .getContainer(info.Id)
      .remove({ force: true })
      .catch(() => undefined);
  for (const info of await workspaceNetworks(root))
    await docker
      .getNetwork(info.Id)
      .remove()
      .catch(() => undefined);
  const volumes = await docker.listVolumes({ filters: { label: [`${LABEL.root}=${root}`] } });
  for (const volume of volumes.Volumes ?? [])
    await docker
      .getVolume(volume.Name)
      .remove()
      .catch(() => undefined);
  // Images envctl built for it: a long-lived test engine would otherwise gather one per test run.
  const images = await docker.listImages({ filters: { label: [`${LABEL.root}=${root}`] } });
  for (const image of images)
    await docker
      .getImage(image.Id)
      .remove({ force: true })
      .catch(() => undefined);
}

export function webProject(extra = ''): string {
  return `template: web\n${extra}`;
}

/** The environment for envctl on a recorded GPU machine: the stand-in nvidia-smi first on PATH. */
export function onGpuMachine(machine: string): Record<string, string> {
  return { NVIDIA_SMI_MACHINE: machine, PATH: `${join(REPO, 'test', 'fixtures', 'bin')}:${process.env.PATH}` };
}

/**
 * A maker of engine workspaces for one test file: each is removed, with everything it left on the engine,
 * after each test.
 */
export function engineWorkspaces(): (files: Record<string, string>) => string {
  const roots: string[] = [];
  afterEach(async () => {
    for (const root of roots.splice(0)) {
      await cleanEngine(root);
      removeWorkspace(root);
    }
  });
  return (files) => {
    const root = engineWorkspace(files);
    roots.push(root);
    return root;
  };
}

/** The output (stdout and stderr) of a long-running envctl, and a wait for a pattern in what came after `from`. */
export function followOutput(child: { all?: NodeJS.ReadableStream | null }) {
  let output = '';
  child.all!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    text: () => output,
    /** Resolves with where the match ends, to wait for the next thing after it. */
    async waitFor(pattern: RegExp, from: number, timeoutMs = 60_000): Promise<number> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(output.slice(from));
        if (match) return from + match.index + match[0].length;
        if (Date.now() > deadline) throw new Error(`no ${pattern} in the output:\n${output.slice(from)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

/**
 * The stand-in package index scripts/test-engine.sh serves on docker0's address (test/fixtures/pypi), where
 * builds on the default bridge and this host both reach it; ENVCTL_TEST_INDEX names another.
 */
export function testIndex(): { url: string; host: string } | undefined {
  const given = process.env.ENVCTL_TEST_INDEX;
  // Not os.networkInterfaces(): libuv leaves out a bridge that is down (docker0 with no container on it).
  const address = given ? undefined : docker0Address();
  const url = given ?? (address ? `http://${address}:3141/simple/` : undefined);
  return url ? { url, host: new URL(url).hostname } : undefined;
}

function docker0Address(): string | undefined {
  try {
    const line = execFileSync('ip', ['-4', '-o', 'addr', 'show', 'docker0'], { encoding: 'utf8' });
    return /inet (\d+\.\d+\.\d+\.\d+)\//.exec(line)?.[1];
  } catch {
    return undefined;
  }
}

export async function indexAnswers(): Promise<boolean> {
  const index = testIndex();
  if (!index) return false;
  return fetch(`${index.url}notebook/`, { signal: AbortSignal.timeout(3000) }).then(
    (response) => response.ok,
    () => false,
  );
}

/** workspace.yml's pip: for the stand-in index. */
export function pipMirror(): string {
  const index = testIndex()!;
  return `pip:\n  index_url: ${index.url}\n  trusted_host: ${index.host}\n`;
}

/** Debian's docker-registry that scripts/test-engine.sh runs, holding envctl-test/layers:3 and library/python. */
export const TEST_REGISTRY = '127.0.0.1:5000';
export async function registryAnswers(): Promise<boolean> {
  return fetch(`http://${TEST_REGISTRY}/v2/`, { signal: AbortSignal.timeout(3000) }).then(
    (response) => response.ok,
    () => false,
  );
}

/** The layers (uncompressed digests, as an image's RootFS.Layers lists them) of an image in the test registry. */
export async function registryDiffIds(repository: string, tag: string): Promise<string[]> {
  const v2 = `http://${TEST_REGISTRY}/v2/${repository}`;
  const accept = { accept: 'application/vnd.docker.distribution.manifest.v2+json' };
  const manifest = (await (await fetch(`${v2}/manifests/${tag}`, { headers: accept })).json()) as {
    config: { digest: string };
  };
  const config = (await (await fetch(`${v2}/blobs/${manifest.config.digest}`)).json()) as {
    rootfs: { diff_ids: string[] };
  };
  return config.rootfs.diff_ids;
}
