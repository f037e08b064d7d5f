import type { Connection } from '../engine/index.js';
import type { DeltaTable, ObjectStore } from '../lake/index.js';
import type { Log } from '../log/index.js';
import type { Metrics } from '../observe/index.js';
import { BronzeTable, type BronzeCommit, type BronzeTableState } from './bronze-table.js';

export { BRONZE_SCHEMA } from './bronze-table.js';
export type { BronzeTableState } from './bronze-table.js';

/**
 * What the platform and the model loop need of one topic's bronze writer, wherever it runs (on
 * the platform's thread, or on the bronze thread: bronze-thread.ts).
 */
export interface BronzeSink {
  readonly topic: string;
  /** The table, for readers on this thread (the model loop, compaction). */
  readonly delta: DeltaTable;
  readonly state: BronzeTableState;
  /** The next offset to read, per partition. */
  readonly nextOffsets: readonly number[];
  /** Writes what the log holds beyond the last commit as one Delta commit. Returns rows written. */
  writeOnce(): Promise<number>;
  /** True when every partition has been written up to the log's end. */
  caughtUp(): Promise<boolean>;
}

/** Counts a commit in the platform's metrics. */
export function recordBronzeCommit(metrics: Metrics, commit: BronzeCommit): void {
  metrics.bronzeRows.inc({ table: commit.state.table }, commit.rows);
  metrics.bronzeCommitSeconds.observe(commit.seconds);
}

/**
 * True when every partition of `topic` has been written up to the log's end. A position below
 * the end with nothing left to read counts as caught up: on Kafka, a transaction's commit marker
 * takes an offset that no reader ever gets.
 */
export async function bronzeCaughtUp(
  log: Pick<Log, 'endOffset' | 'read'>,
  topic: string,
  positions: readonly number[],
): Promise<boolean> {
  for (let p = 0; p < positions.length; p++) {
    if ((await log.endOffset(topic, p)) <= positions[p]!) continue;
    if ((await log.read(topic, p, positions[p]!, { maxRecords: 1 })).length > 0) return false;
  }
  return true;
}

/**
 * Moves one topic from the log into its bronze Delta table, exactly once, on the calling thread:
 * reads each partition from the table's own position and commits through BronzeTable. Any Log
 * works here (embedded or Kafka); the platform moves the embedded log's bronze onto its own
 * thread (bronze-thread.ts) so that decoding and Parquet leave the thread that appends.
 */
export class BronzeWriter implements BronzeSink {
  private constructor(
    private readonly log: Log,
    private readonly table: BronzeTable,
    private readonly metrics: Metrics,
    private readonly maxBatch: number,
  ) {}

  static async open(opts: {
    log: Log;
    conn: Connection;
    store: ObjectStore;
    topic: string;
    partitions: number;
    tmpDir: string;
    metrics: Metrics;
    maxBatch: number;
  }): Promise<BronzeWriter> {
    const table = await BronzeTable.open(opts);
    return new BronzeWriter(opts.log, table, opts.metrics, opts.maxBatch);
  }

  get topic(): string {
    return this.table.state.topic;
  }

  get delta(): DeltaTable {
    return this.table.delta;
  }

  get state(): BronzeTableState {
    return this.table.state;
  }

  get nextOffsets(): readonly number[] {
    return this.table.positions;
  }

  caughtUp(): Promise<boolean> {
    return bronzeCaughtUp(this.log, this.topic, this.table.positions);
  }

  async writeOnce(): Promise<number> {
    const commit = await this.writeBatch();
    return commit?.rows ?? 0;
  }

  /** writeOnce, answering with the commit (null when the log held nothing new). */
  async writeBatch(): Promise<BronzeCommit | null> {
    const positions = this.table.positions;
    const batches = [];
    for (let p = 0; p < positions.length; p++) {
      batches.push(
        await this.log.read(this.topic, p, positions[p]!, { maxRecords: this.maxBatch }),
      );
    }
    const commit = await this.table.commit(batches);
    if (commit !== null) recordBronzeCommit(this.metrics, commit);
    return commit;
  }
}
