import { quoteIdent, writeDataFile, type Connection } from '../engine/index.js';
import { DeltaTable, type ObjectStore, type StructType } from '../lake/index.js';
import type { Log, StoredRecord } from '../log/index.js';
import type { Metrics } from '../observe/index.js';
import { bronzeAppId, bronzeTableName, lakePath } from './names.js';
import { maxTimestampStat } from './stats.js';
import { appendBronzeBatch, BRONZE_BATCH_DDL, bronzeRowsSql } from './bronze-batch.js';

/**
 * Bronze: every event exactly as the log accepted it, plus where it came from. The payload stays
 * raw JSON text, so an event that does not match what silver expects is still kept (and silver
 * sends it to quarantine with the reason) instead of being lost at the door.
 */
export const BRONZE_SCHEMA: StructType = {
  type: 'struct',
  fields: [
    { name: 'event_id', type: 'string', nullable: false, metadata: {} },
    { name: 'event_key', type: 'string', nullable: true, metadata: {} },
    { name: 'payload', type: 'string', nullable: false, metadata: {} },
    { name: '_headers', type: 'string', nullable: true, metadata: {} },
    { name: '_topic', type: 'string', nullable: false, metadata: {} },
    { name: '_partition', type: 'integer', nullable: false, metadata: {} },
    { name: '_offset', type: 'long', nullable: false, metadata: {} },
    { name: '_accepted_at', type: 'timestamp', nullable: false, metadata: {} },
    { name: '_ingested_at', type: 'timestamp', nullable: false, metadata: {} },
  ],
};

export interface BronzeTableState {
  table: string;
  topic: string;
  version: number;
  rows: number;
  /** Newest `_accepted_at` in the table (ms), or null when empty. */
  maxAcceptedAt: number | null;
}

/**
 * Moves one topic from the log into its bronze Delta table, exactly once (one writer per table). Each commit carries one
 * `txn` per partition (appId = topic/partition, version = the last offset it holds), written in
 * the same atomic Delta commit as the data; on start the writer reads those back and resumes right
 * after them. A crash between writing Parquet and committing leaves an orphan file that no
 * snapshot references, and the batch is written again.
 */
export class BronzeWriter {
  private positions: number[] = [];
  /** Last `_ingested_at` stamped, in microseconds since the epoch. */
  private lastStamp = 0;
  private batchTable: string;
  state: BronzeTableState;

  private constructor(
    private readonly log: Log,
    private readonly conn: Connection,
    readonly delta: DeltaTable,
    readonly topic: string,
    private readonly partitions: number,
    private readonly tmpDir: string,
    private readonly metrics: Metrics,
    private readonly maxBatch: number,
  ) {
    const table = bronzeTableName(topic);
    this.batchTable = `_freshet.${quoteIdent(`bronze_batch_${table}`)}`;
    this.state = { table, topic, version: -1, rows: 0, maxAcceptedAt: null };
  }

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
    const table = bronzeTableName(opts.topic);
    const delta = await DeltaTable.open(opts.store, lakePath('bronze', table));
    const snapshot = (await delta.exists())
      ? await delta.snapshot()
      : await delta.create({
          schema: BRONZE_SCHEMA,
          name: table,
          description: `Events of topic ${opts.topic} as accepted`,
        });
    const writer = new BronzeWriter(
      opts.log,
      opts.conn,
      delta,
      opts.topic,
      opts.partitions,
      opts.tmpDir,
      opts.metrics,
      opts.maxBatch,
    );
    for (let p = 0; p < opts.partitions; p++) {
      const last = snapshot.txnVersion(bronzeAppId(opts.topic, p));
      writer.positions.push(last === undefined ? 0 : last + 1);
    }
    writer.state.version = snapshot.version;
    writer.state.rows = snapshot.files.reduce((n, f) => n + statRows(f.stats), 0);
    writer.state.maxAcceptedAt = maxTimestampStat(snapshot.files, '_accepted_at');
    // Stats round a max up to the millisecond, so continuing above it keeps stamps increasing.
    writer.lastStamp = (maxTimestampStat(snapshot.files, '_ingested_at') ?? 0) * 1000;
    await opts.conn.run('CREATE SCHEMA IF NOT EXISTS _freshet');
    await opts.conn.run(`CREATE OR REPLACE TABLE ${writer.batchTable} ${BRONZE_BATCH_DDL}`);
    return writer;
  }

  /** The next offset to read, per partition. */
  get nextOffsets(): readonly number[] {
    return this.positions;
  }

  /** True when every partition has been written up to the log's end. */
  async caughtUp(): Promise<boolean> {
    for (let p = 0; p < this.partitions; p++) {
      if ((await this.log.endOffset(this.topic, p)) > this.positions[p]!) return false;
    }
    return true;
  }

  /** Writes what the log holds beyond the last commit as one Delta commit. Returns rows written. */
  async writeOnce(): Promise<number> {
    const batches: StoredRecord[][] = [];
    for (let p = 0; p < this.partitions; p++) {
      batches.push(
        await this.log.read(this.topic, p, this.positions[p]!, { maxRecords: this.maxBatch }),
      );
    }
    const total = batches.reduce((n, b) => n + b.length, 0);
    if (total === 0) return 0;
    const started = performance.now();
    // Stamps strictly increase per table, whatever the wall clock does, and batches commit one
    // after another: so rows become visible in stamp order, and a silver model that takes
    // `_ingested_at > max(_ingested_at)` of what it already holds misses nothing.
    this.lastStamp = Math.max(Date.now() * 1000, this.lastStamp + 1);
    const maxAccepted = await appendBronzeBatch(
      this.conn,
      `bronze_batch_${this.state.table}`,
      batches,
      this.state.maxAcceptedAt ?? 0,
    );
    try {
      const rows = bronzeRowsSql(this.batchTable, this.topic, this.lastStamp);
      const add = await writeDataFile(this.conn, rows, this.delta, this.tmpDir);
      const txns = batches.flatMap((records, p) =>
        records.length === 0
          ? []
          : [{ appId: bronzeAppId(this.topic, p), version: records[records.length - 1]!.offset }],
      );
      const version = await this.delta.append(add ? [add] : [], {
        txns,
        commitInfo: { 'freshet.rows': total },
      });
      batches.forEach((records, p) => {
        if (records.length > 0) this.positions[p] = records[records.length - 1]!.offset + 1;
      });
      this.state = {
        ...this.state,
        version,
        rows: this.state.rows + total,
        maxAcceptedAt: maxAccepted,
      };
      this.metrics.bronzeRows.inc({ table: this.state.table }, total);
      this.metrics.bronzeCommitSeconds.observe((performance.now() - started) / 1000);
      return total;
    } finally {
      await this.conn.run(`DELETE FROM ${this.batchTable}`);
    }
  }
}

function statRows(stats: string | undefined): number {
  if (!stats) return 0;
  try {
    return Number((JSON.parse(stats) as { numRecords?: number }).numRecords ?? 0);
  } catch {
    return 0;
  }
}
