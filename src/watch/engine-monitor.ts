/**
 * Watches whether the Docker Engine answers, for `up --watch`: when it stops (dockerd restarted, upgraded,
 * the machine's Docker Desktop quit) the watcher says so and waits; when it answers again, what runs is
 * reconciled with which-project, since a restart stops containers that have no restart policy.
 */
export class EngineMonitor {
  private timer: NodeJS.Timeout | undefined;
  private answering = true;
  private stopped = false;

  constructor(
    private readonly answers: () => Promise<boolean>,
    private readonly onChange: (answering: boolean) => void,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.check(), this.intervalMs);
  }

  private async check(): Promise<void> {
    const now = await this.answers().catch(() => false);
    if (now !== this.answering && !this.stopped) {
      this.answering = now;
      this.onChange(now);
    }
    this.schedule();
  }
}
