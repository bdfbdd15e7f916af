import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The CLI as it ships: the bundle (scripts/bundle.mjs). */
export const CLI = join(REPO, 'dist', 'bundle', 'main.js');

/** A workspace in a temporary folder, from a map of relative path → file content. */
export function makeWorkspace(files: Record<string, string>, options: { templates?: boolean } = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'envctl-test-'));
  if (options.templates !== false) cpSync(join(REPO, 'templates'), join(root, 'templates'), { recursive: true });
  writeFiles(root, files);
  return root;
}

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

export function removeWorkspace(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

export async function envctl(root: string, args: string[], env: Record<string, string> = {}) {
  return execa('node', [CLI, ...args], { cwd: root, reject: false, env: { NO_COLOR: '1', ...env } });
}

/** Every file under `dir` with its content, to prove that nothing changed. */
export function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (folder: string) => {
    let entries: string[];
    try {
      entries = readdirSync(folder);
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(folder, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(dir, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return files;
}

export function project(template: string, extra = ''): string {
  return `template: ${template}\n${extra}`;
}
