// Group commit: callers that arrive while a commit is in flight wait together and go into the
// next one. With fsync on every acknowledgement, the disk's sync latency (not the number of
// callers) then bounds throughput: a thousand concurrent appends cost one write and one sync,
// not a thousand. Nothing waits on a timer, so a lone caller is not delayed either.

interface Waiter<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

export interface GroupCommitOptions<T> {
  /** Size of an item, for `maxBatchWeight`. */
  weigh: (item: T) => number;
  /** A batch stops growing once it reaches this weight (one oversized item still goes alone). */
  maxBatchWeight: number;
}

export class GroupCommit<T, R> {
  private queue: Waiter<T, R>[] = [];
  private running = false;
  private idleWaiters: Array<() => void> = [];

  /**
   * @param commit makes a batch durable and returns one result per item, in order. If it
   *   throws, every item of that batch fails with the error; later batches still run.
   */
  constructor(
    private readonly commit: (batch: T[]) => Promise<R[]>,
    private readonly opts: GroupCommitOptions<T>,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Start after the current synchronous code, so a burst of calls made in one tick (a
        // Promise.all over many appends) shares the first commit instead of starting it alone.
        queueMicrotask(() => void this.drain());
      }
    });
  }

  /** Resolves once every submitted item has been committed or failed. */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.takeBatch();
      try {
        const results = await this.commit(batch.map((w) => w.item));
        batch.forEach((w, i) => w.resolve(results[i]!));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  private takeBatch(): Waiter<T, R>[] {
    let weight = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || weight < this.opts.maxBatchWeight)) {
      const next = this.opts.weigh(this.queue[n]!.item);
      if (n > 0 && weight + next > this.opts.maxBatchWeight) break;
      weight += next;
      n++;
    }
    return this.queue.splice(0, n);
  }
}
