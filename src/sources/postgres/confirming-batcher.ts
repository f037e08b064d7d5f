// Gathers the stream's records and appends them to the log in batches, and says which commit
// LSN may be confirmed once a batch is durable. This is where invariant 3 lives for the source:
// a position is handed to `onDurable` only after every record before it was appended. Generic in
// the position (an LSN here, a binlog file/pos in the MySQL source), which it only carries.

import type { LogRecord } from '../../log/index.js';
import type { Lsn } from './lsn.js';

export interface ConfirmingBatcherOptions<P = Lsn> {
  /** Appends a batch by topic; deletes each topic from the map once it is durable. */
  append(records: Map<string, LogRecord[]>): Promise<void>;
  /** Told the end LSN of the last complete transaction in a batch that is now durable. */
  onDurable(lsn: P): Promise<void>;
  onError(err: unknown): void;
  /** Told after each flush, so a paused stream can resume. */
  onFlushed(): void;
  /** Records gathered before an append, even inside one transaction. */
  maxBatchRecords: number;
}

interface Batch<P> {
  records: Map<string, LogRecord[]>;
  /** End LSN of the last complete transaction in the batch; null when it holds none. */
  confirm: P | null;
}

export class ConfirmingBatcher<P = Lsn> {
  private pending = new Map<string, LogRecord[]>();
  private pendingCount = 0;
  /** End LSN of the last transaction whose records are all pending (or already appended). */
  private pendingConfirm: P | null = null;
  /** A batch being appended, or one whose append failed and is retried as it is. */
  private inflight: Batch<P> | null = null;
  private flushing: Promise<void> | null = null;
  private failed = false;
  private dead = false;

  constructor(private readonly opts: ConfirmingBatcherOptions<P>) {}

  /** Records not yet handed to the log. */
  get backlog(): number {
    return this.pendingCount;
  }

  /** Nothing pending and nothing in flight: all that was pushed is durable. */
  get idle(): boolean {
    return (
      this.pendingCount === 0 && this.pendingConfirm === null && !this.inflight && !this.flushing
    );
  }

  push(topic: string, record: LogRecord): void {
    const list = this.pending.get(topic);
    if (list) list.push(record);
    else this.pending.set(topic, [record]);
    this.pendingCount++;
    // A huge transaction is appended in parts to bound memory; it is confirmed at its commit.
    if (this.pendingCount >= this.opts.maxBatchRecords) this.flush();
  }

  /** A transaction ended at `endLsn`: everything pushed so far may be confirmed up to it. */
  commit(endLsn: P): void {
    this.pendingConfirm = endLsn;
    this.flush();
  }

  /**
   * Forgets pending records of a transaction that will not commit here (the connection dropped;
   * the server sends it again from the confirmed position). Records of complete transactions are
   * kept: with a commit pending, the open transaction's records ride along and come again with
   * the same ids, which is allowed; without one, all pending records are the open transaction's.
   */
  dropOpenTransaction(): void {
    if (this.pendingConfirm === null) {
      this.pending = new Map();
      this.pendingCount = 0;
    }
  }

  /** Starts a flush unless one runs; the one that runs starts the next when it ends. */
  flush(): void {
    if (this.flushing || this.dead) return;
    if (this.pendingCount === 0 && this.pendingConfirm === null && !this.inflight) return;
    this.flushing = this.flushOnce()
      .catch((err) => this.opts.onError(err))
      .finally(() => {
        this.flushing = null;
        if (this.pendingCount > 0 || this.pendingConfirm !== null || this.inflight) {
          // More arrived meanwhile, or a failed append is retried after a pause.
          setTimeout(() => this.flush(), this.failed ? 500 : 0);
        }
      });
  }

  /**
   * Flushes everything pending and waits until it is durable. Gives up when an append fails: what
   * is not durable stays unconfirmed, and the server sends it again on the next start.
   */
  async drain(): Promise<void> {
    for (;;) {
      this.flush();
      if (!this.flushing) return;
      await this.flushing;
      if (this.failed) return;
    }
  }

  /** As a crash: nothing more is appended or confirmed. */
  kill(): void {
    this.dead = true;
    this.pending = new Map();
    this.pendingCount = 0;
    this.pendingConfirm = null;
    this.inflight = null;
  }

  private async flushOnce(): Promise<void> {
    if (!this.inflight) {
      this.inflight = { records: this.pending, confirm: this.pendingConfirm };
      this.pending = new Map();
      this.pendingCount = 0;
      this.pendingConfirm = null;
    }
    const batch = this.inflight;
    this.failed = true;
    // Topics already appended leave the map, so a retry does not append them twice.
    await this.opts.append(batch.records);
    this.failed = false;
    this.inflight = null;
    if (this.dead) return; // a crashed process confirms nothing more
    if (batch.confirm !== null) await this.opts.onDurable(batch.confirm);
    this.opts.onFlushed();
  }
}
