import { EnvctlError } from '../../errors/envctl-error.js';
import type { HostCommands } from '../../util/host-commands.js';
import { mergeInventory, parseList, parseQuery, QUERY_FIELDS, type Gpu } from './inventory.js';

const NOT_INSTALLED = 'nvidia-smi is not installed (no NVIDIA driver on this machine)';

export type GpuDiscovery = { available: true; gpus: Gpu[] } | { available: false; reason: string };

/** Finds the GPUs of the machine; the real one asks nvidia-smi, tests hand in a stand-in on PATH. */
export interface GpuProbe {
  discover(): Promise<GpuDiscovery>;
}

/**
 * Runs `nvidia-smi --query-gpu=... --format=csv,nounits` (memory and use) and `nvidia-smi -L` (MIG
 * instances) through execa. Either answering is enough to know the GPUs; a machine where neither answers
 * has none that envctl can use, and the reason says why.
 */
export class NvidiaSmiProbe implements GpuProbe {
  private found: Promise<GpuDiscovery> | undefined;

  /** `host`: a server to ask over SSH; by default this machine. */
  constructor(private readonly host?: HostCommands) {}

  discover(): Promise<GpuDiscovery> {
    return (this.found ??= this.run());
  }

  private async run(): Promise<GpuDiscovery> {
    const [query, list] = await Promise.all([
      this.nvidiaSmi([`--query-gpu=${QUERY_FIELDS.join(',')}`, '--format=csv,nounits']),
      this.nvidiaSmi(['-L']),
    ]);
    if (!query.ok && !list.ok) return { available: false, reason: query.reason };
    const gpus = mergeInventory(
      query.ok ? parseQuery(query.stdout) : undefined,
      list.ok ? parseList(list.stdout) : undefined,
    );
    if (gpus.length === 0) return { available: false, reason: 'nvidia-smi lists no GPU' };
    return { available: true, gpus };
  }

  private async nvidiaSmi(args: string[]): Promise<{ ok: true; stdout: string } | { ok: false; reason: string }> {
    if (this.host) return this.remoteNvidiaSmi(this.host, args);
    try {
      // execa is loaded here, not at the top: most runs ask for no GPU and should not pay for loading it.
      const { execa } = await import('execa');
      const result = await execa('nvidia-smi', args, { reject: false, timeout: 15_000 });
      if (result.exitCode === 0) return { ok: true, stdout: result.stdout };
      if ((result as { code?: string }).code === 'ENOENT') return { ok: false, reason: NOT_INSTALLED };
      // nvidia-smi puts some of its errors on stdout (an unknown field, "No devices were found").
      const said = (result.stderr || result.stdout).trim().split('\n')[0] ?? '';
      return { ok: false, reason: `nvidia-smi ${args[0]} failed (exit ${result.exitCode}): ${said}` };
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ENOENT') return { ok: false, reason: NOT_INSTALLED };
      throw new EnvctlError(`Running nvidia-smi failed: ${(error as Error).message}`, { cause: error });
    }
  }

  private async remoteNvidiaSmi(
    host: HostCommands,
    args: string[],
  ): Promise<{ ok: true; stdout: string } | { ok: false; reason: string }> {
    const result = await host.run(`nvidia-smi ${args.map((arg) => `'${arg}'`).join(' ')}`);
    if (result.exitCode === 0) return { ok: true, stdout: result.stdout };
    if (result.exitCode === 127)
      return { ok: false, reason: `nvidia-smi is not installed on ${host.hostName} (no NVIDIA driver there)` };
    const said = (result.stderr || result.stdout).trim().split('\n')[0] ?? '';
    return { ok: false, reason: `nvidia-smi ${args[0]} on ${host.hostName} failed (exit ${result.exitCode}): ${said}` };
  }
}
