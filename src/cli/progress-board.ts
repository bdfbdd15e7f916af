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
  /** When the step began (ms): its elapsed time is shown, and kept ticking while the step is silent. */
  stepSince: number;
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
  /** Separate from timer: a pending tick must not hold back the redraw that a new line asks for. */
  private tick: NodeJS.Timeout | undefined;
  private drawnAt = 0;

  constructor(
    private readonly columns: () => number = () => process.stderr.columns || 100,
    private readonly now: () => number = Date.now,
  ) {}

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
      stepSince: this.now(),
      last: '',
    };
    this.rows.set(key, row);
    row.tally = progress.tally ?? row.tally;
    if (progress.step !== undefined) {
      row.step = progress.step;
      row.stepSince = this.now();
      row.last = '';
    } else if (progress.line !== undefined) {
      const output = buildOutput(progress.line);
      if (output) row.last = output;
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
    clearTimeout(this.tick);
    this.timer = undefined;
    this.tick = undefined;
    this.drawnAt = Date.now();
    const lines = [...this.rows.values()].map((row) => imageLine(row, this.columns(), this.now()));
    if (lines.length) this.draw(lines.join('\n'));
    else this.draw.clear();
    // A build step that prints nothing for minutes (pip resolving) still shows its time going up.
    if ([...this.rows.values()].some((row) => row.action === 'build')) {
      this.tick = setTimeout(() => this.redrawNow(), 1000);
      this.tick.unref();
    }
  }
}

/**
 * One image's line, cut to the terminal's width: "intro-ml  python:3.11-slim  pulling  2/4 layers, ..." or
 * "intro-ml  envctl/ws-intro-ml-app  building  [3/5] RUN pip install ... 12s | Collecting numpy".
 */
export function imageLine(row: ImageRow, columns: number, now: number): string {
  const lead = `${row.project}  ${row.image}  `;
  if (row.action === 'pull')
    return cut(`${lead}pulling  ${row.tally ? describePull(row.tally.state()) : 'resolving'}`, columns - 1);
  if (!row.step) return cut(`${lead}building  ${row.last || 'starting'}`, columns - 1);
  // The step's name gives way first, so that its time and a few words of its output stay in sight.
  const elapsed = ` ${Math.max(0, Math.floor((now - row.stepSince) / 1000))}s`;
  const last = row.last ? ` | ${row.last}` : '';
  const room = columns - 1 - lead.length - 'building  '.length - elapsed.length - Math.min(last.length, 30);
  return cut(`${lead}building  ${cut(row.step, Math.max(room, 12))}${elapsed}${last}`, columns - 1);
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(width - 1, 10))}…`;
}

/** A build line without BuildKit's "#5 0.271 " in front; nothing for its own bookkeeping ("#5 DONE 0.3s"). */
function buildOutput(line: string): string {
  const plain = /^#\d+ (?:(\d+\.\d+) )?(.*)$/.exec(line);
  if (!plain) return line.trim();
  return plain[1] !== undefined ? plain[2]!.trim() : '';
}
