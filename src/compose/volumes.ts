import type { VolumeMount } from './compose-types.js';

/** A service's volume in Compose's short syntax: "target", "source:target" or "source:target:mode". */
export interface ShortVolume {
  /** A named volume, or a host path (isHostPath); absent for an anonymous volume. */
  source: string | undefined;
  target: string;
  mode: string | undefined;
}

/** The one reader of the short syntax: merge, path rebasing, namespacing and the engine's binds all use it. */
export function parseShortVolume(text: string): ShortVolume {
  const [first, second, ...rest] = text.split(':');
  if (second === undefined) return { source: undefined, target: first!, mode: undefined };
  return { source: first, target: second, mode: rest.length ? rest.join(':') : undefined };
}

export function formatShortVolume(volume: ShortVolume): string {
  return [volume.source, volume.target, volume.mode].filter((part) => part !== undefined).join(':');
}

/** A volume entry, short or long, with its source changed (a short one only where it has a source). */
export function withSource(
  entry: string | VolumeMount,
  change: (source: string, long: VolumeMount | undefined) => string | undefined,
): string | VolumeMount {
  if (typeof entry === 'string') {
    const volume = parseShortVolume(entry);
    const source = volume.source === undefined ? undefined : change(volume.source, undefined);
    return source === undefined ? entry : formatShortVolume({ ...volume, source });
  }
  const source = typeof entry.source === 'string' ? change(entry.source, entry) : undefined;
  return source === undefined ? entry : { ...entry, source };
}

/** Where a volume entry mounts: what makes two entries the same under Compose's merge rules. */
export function volumeTarget(entry: string | VolumeMount): string {
  return typeof entry === 'string' ? parseShortVolume(entry).target : String(entry.target);
}

/** A bind mount's source, as opposed to a named volume: Compose's own test. */
export function isHostPath(source: string): boolean {
  return source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
}
