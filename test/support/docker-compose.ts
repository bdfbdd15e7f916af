import { execa } from 'execa';

/** Debian's docker-compose 1.29, which .ci/run installs; `config` needs no engine. */
export async function dockerComposeAvailable(): Promise<boolean> {
  const result = await execa('docker-compose', ['version'], { reject: false });
  return result.exitCode === 0;
}

export async function dockerComposeConfig(dir: string, file: string) {
  return execa('docker-compose', ['-f', file, 'config', '-q'], { cwd: dir, reject: false });
}
