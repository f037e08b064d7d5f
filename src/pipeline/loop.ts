/**
 * Runs an async step again and again, never overlapping itself. By default it pauses
 * `intervalMs` between the end of one run and the start of the next; with `fixedRate` the next
 * run starts `intervalMs` after the previous one started, at once when that run took longer, so a
 * stage with a backlog (bronze under load) works continuously instead of idling a whole interval
 * after every batch. A failing step is reported and retried after a full pause: bad input or a
 * transient error never stops the pipeline. `stop()` resolves once the step in flight has finished.
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
    private readonly fixedRate = false,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(this.firstDelayMs);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = performance.now();
      let failed = false;
      this.inFlight = this.step()
        .then(() => undefined)
        .catch((err: unknown) => {
          failed = true;
          this.onError(err);
        })
        .finally(() => {
          this.inFlight = null;
          const took = performance.now() - started;
          this.schedule(
            this.fixedRate && !failed ? Math.max(0, this.intervalMs - took) : this.intervalMs,
          );
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
