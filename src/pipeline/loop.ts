/**
 * Runs an async step again and again with a pause between runs (never overlapping itself).
 * A failing step is reported and retried after the pause: bad input or a transient error never
 * stops the pipeline. `stop()` resolves once the step in flight has finished.
 */
export class Loop {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private stopped = true;

  constructor(
    readonly name: string,
    private readonly intervalMs: number,
    private readonly step: () => Promise<unknown>,
    private readonly onError: (err: unknown) => void,
    /** Delay before the first run; default 0 (at once). */
    private readonly firstDelayMs = 0,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(this.firstDelayMs);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.inFlight = this.step()
        .then(() => undefined)
        .catch(this.onError)
        .finally(() => {
          this.inFlight = null;
          this.schedule(this.intervalMs);
        });
    }, delay);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.inFlight) await this.inFlight;
  }
}
