/**
 * The cache mounts of a template's Dockerfile (`RUN --mount=type=cache,id=pip,target=... cmd`, written on the RUN
 * line itself), made to fit the builder. A user's own Dockerfile is never passed through here.
 */

const RUN_WITH_FLAGS = /^(\s*RUN\s+)((?:--\S+\s+)+)/i;
const CACHE_MOUNT = /^--mount=(?=(?:[^,\s]*,)*type=cache(?:,|$))(\S+)$/i;

interface RunInstruction {
  /** Index of its first and last line (a RUN continues while a line ends in a backslash). */
  first: number;
  last: number;
  prefix: string;
  flags: string[];
}

function runInstructions(lines: readonly string[]): RunInstruction[] {
  const found: RunInstruction[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const match = RUN_WITH_FLAGS.exec(lines[index]!);
    let last = index;
    while (/\\\s*$/.test(lines[last]!) && last + 1 < lines.length) last += 1;
    if (match) found.push({ first: index, last, prefix: match[1]!, flags: match[2]!.trim().split(/\s+/) });
    index = last;
  }
  return found;
}

function options(flag: string): Map<string, string> {
  const body = CACHE_MOUNT.exec(flag)![1]!;
  return new Map(body.split(',').map((pair) => [pair.split('=')[0]!, pair.slice(pair.indexOf('=') + 1)]));
}

function rewrite(text: string, change: (lines: string[], run: RunInstruction) => void): string {
  const lines = text.split('\n');
  // From the end, so that a change to one instruction leaves the others' line numbers as they were.
  for (const run of runInstructions(lines).reverse())
    if (run.flags.some((flag) => CACHE_MOUNT.test(flag))) change(lines, run);
  return lines.join('\n');
}

/**
 * For BuildKit: each cache mount's id made the scope's own (`id=pip` becomes `id=<scope>-pip`; one without an id
 * is named after its target), so that workspaces and templates keep separate caches. The id is written into the
 * text because dockerd's built-in Dockerfile frontend does not expand build arguments in mount options.
 *
 * `emptied`: the first step to use each cache empties it first. A build's nocache re-runs its steps but keeps
 * their cache mounts (seen on dockerd 20.10), and --no-cache promises a clean start.
 */
export function scopedCacheMounts(text: string, scope: string, { emptied = false } = {}): string {
  const idOf = (mount: Map<string, string>) => {
    const own = mount.get('id') ?? mount.get('target') ?? mount.get('dst') ?? 'cache';
    return `${scope}-${own.replace(/^\/+/, '')}`.replace(/[^\w.-]+/g, '-');
  };
  // The line of the first step that uses each cache (rewrite goes from the end, so this is found first).
  const firstUse = new Map<string, number>();
  for (const run of runInstructions(text.split('\n')))
    for (const flag of run.flags.filter((each) => CACHE_MOUNT.test(each)))
      if (!firstUse.has(idOf(options(flag)))) firstUse.set(idOf(options(flag)), run.first);
  return rewrite(text, (lines, run) => {
    const cleared: string[] = [];
    const flags = run.flags.map((flag) => {
      if (!CACHE_MOUNT.test(flag)) return flag;
      const mount = options(flag);
      const id = idOf(mount);
      const target = mount.get('target') ?? mount.get('dst');
      if (emptied && target && firstUse.get(id) === run.first) cleared.push(target);
      mount.set('id', id);
      return `--mount=${[...mount].map(([key, value]) => `${key}=${value}`).join(',')}`;
    });
    const shellForm = !lines[run.first]!.replace(RUN_WITH_FLAGS, '').trimStart().startsWith('[');
    const empty = cleared.length && shellForm ? `${emptying(cleared)} && ` : '';
    lines[run.first] = lines[run.first]!.replace(RUN_WITH_FLAGS, `${run.prefix}${flags.join(' ')} ${empty}`);
  });
}

/** Removes what folders hold, dot files too, and not the folders: they are mount points. */
function emptying(targets: readonly string[]): string {
  return `rm -rf ${targets.map((target) => `${target}/* ${target}/.[!.]* ${target}/..?*`).join(' ')}`;
}

/**
 * For the classic builder, which knows no mounts: the cache mounts taken out, and their targets removed when the
 * step ends, so that the image holds no download cache, as with BuildKit (where the mount is not in the layer).
 */
export function withoutCacheMounts(text: string): string {
  return rewrite(text, (lines, run) => {
    const targets = run.flags.filter((flag) => CACHE_MOUNT.test(flag)).map((flag) => options(flag).get('target'));
    const kept = run.flags.filter((flag) => !CACHE_MOUNT.test(flag));
    lines[run.first] = lines[run.first]!.replace(
      RUN_WITH_FLAGS,
      `${run.prefix}${kept.map((flag) => `${flag} `).join('')}`,
    );
    const removed = targets.filter((target): target is string => target !== undefined);
    if (removed.length) lines[run.last] = `${lines[run.last]!.trimEnd()} && rm -rf ${removed.join(' ')}`;
  });
}
