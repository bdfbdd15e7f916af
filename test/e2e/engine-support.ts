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
