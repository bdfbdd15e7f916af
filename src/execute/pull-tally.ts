import type { PullEvent } from '../engine/engine.js';

/** Where a pull stands: its layers, how many are done, and the bytes downloaded of those whose size is known. */
export interface PullState {
  layers: number;
  done: number;
  downloaded: number;
  size: number;
}

interface Layer {
  current: number;
  total: number | undefined;
  done: boolean;
}

/** A layer that needs no more: pulled and extracted, or already on the engine. */
const FINISHED = new Set(['Pull complete', 'Already exists']);

/** Adds up a pull's per-layer events (engine.ts PullEvent) into one state. Pure. */
export class PullTally {
  private readonly layers = new Map<string, Layer>();

  add(event: PullEvent): void {
    if (!event.layer) return;
    const layer = this.layers.get(event.layer) ?? { current: 0, total: undefined, done: false };
    this.layers.set(event.layer, layer);
    if (event.status === 'Downloading') {
      layer.current = event.current ?? layer.current;
      layer.total = event.total ?? layer.total;
    } else if (event.status === 'Download complete' || FINISHED.has(event.status)) {
      if (layer.total !== undefined) layer.current = layer.total;
      layer.done ||= FINISHED.has(event.status);
    }
  }

  state(): PullState {
    const layers = [...this.layers.values()];
    const sized = layers.filter((layer) => layer.total !== undefined);
    return {
      layers: layers.length,
      done: layers.filter((layer) => layer.done).length,
      downloaded: sized.reduce((sum, layer) => sum + layer.current, 0),
      size: sized.reduce((sum, layer) => sum + layer.total!, 0),
    };
  }
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** "3/4 layers, 12.3/40.1 MB, 31%", as docker compose pull shows a pull in one line. */
export function describePull(state: PullState): string {
  if (state.layers === 0) return 'resolving';
  const parts = [`${state.done}/${state.layers} layers`];
  if (state.size > 0) {
    parts.push(`${(state.downloaded / 1e6).toFixed(1)}/${megabytes(state.size)}`);
    parts.push(`${Math.floor((100 * state.downloaded) / state.size)}%`);
  }
  return parts.join(', ');
}

/** What a finished pull says in its one line: "3 layers, 12.0 MB". */
export function describePulled(state: PullState): string {
  const layers = `${state.layers} layer${state.layers === 1 ? '' : 's'}`;
  return state.size > 0 ? `${layers}, ${megabytes(state.size)}` : layers;
}
