import { createLogUpdate } from 'log-update';
import type { ImageProgress } from '../execute/apply.js';
import { describePull, type PullState } from '../execute/pull-tally.js';

/** Re-drawn at most this often: a pull reports hundreds of events a second. */
const REDRAW_MS = 100;

/** What one image's line says, kept between its events. */
interface ImageRow {
  project: string;
  image: string;
  action: 'pull' | 'build';
  tally: { state(): PullState } | undefined;
  step: string;
  last: string;
}

/**
 * The pulls and builds under way, one line each, drawn in place on a terminal (stderr) as docker compose pull
 * does. Lines written meanwhile (a change, a warning) go through `above`, which keeps the board under them.
 */
export class ProgressBoard {
  private readonly rows = new Map<string, ImageRow>();
  private readonly draw = createLogUpdate(process.stderr);
  private timer: NodeJS.Timeout | undefined;
  private drawnAt = 0;

  constructor(private readonly columns: () => number = () => process.stderr.columns || 100) {}

  update(project: string, progress: ImageProgress): void {
    const key = `${project}\0${progress.image}`;
    if (progress.finished) {
      this.rows.delete(key);
      return this.redrawNow();
    }
    const row = this.rows.get(key) ?? {
      project,
      image: progress.image,
      action: progress.action,
      tally: undefined,
      step: '',
      last: '',
    };
    this.rows.set(key, row);
    row.tally = progress.tally ?? row.tally;
    if (progress.line !== undefined) {
      if (/^Step \d+\/\d+ :/.test(progress.line)) row.step = progress.line.replace(/^Step (\d+\/\d+) :/, 'step $1:');
      else row.last = progress.line.trim();
    }
    this.schedule();
  }

  /** Writes something above the board, then draws the board again under it. */
  above(write: () => void): void {
    this.draw.clear();
    write();
    this.redrawNow();
  }

  /** Draws now when the last frame is old enough, else once the interval has passed. */
  private schedule(): void {
    if (this.timer) return;
    const wait = this.drawnAt + REDRAW_MS - Date.now();
    if (wait <= 0) return this.redrawNow();
    this.timer = setTimeout(() => this.redrawNow(), wait);
    this.timer.unref();
  }

  private redrawNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.drawnAt = Date.now();
    const lines = [...this.rows.values()].map((row) => imageLine(row, this.columns()));
    if (lines.length) this.draw(lines.join('\n'));
    else this.draw.clear();
  }
}

/** One image's line, cut to the terminal's width: "intro-ml  python:3.11-slim  pulling  2/4 layers, ...". */
export function imageLine(row: ImageRow, columns: number): string {
  const what =
    row.action === 'pull'
      ? `pulling  ${row.tally ? describePull(row.tally.state()) : 'resolving'}`
      : `building  ${[row.step, row.last].filter(Boolean).join(' | ') || 'starting'}`;
  const line = `${row.project}  ${row.image}  ${what}`;
  return line.length <= columns - 1 ? line : `${line.slice(0, Math.max(columns - 2, 10))}…`;
}
