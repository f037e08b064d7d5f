import { quoteIdent, writeDataFile, type Connection } from '../engine/index.js';
import { DeltaTable, type ObjectStore, type StructType } from '../lake/index.js';
import type { StoredRecord } from '../log/index.js';
import { appendBronzeBatch, BRONZE_BATCH_DDL, bronzeRowsSql } from './bronze-batch.js';
import { bronzeAppId, bronzeTableName, lakePath } from './names.js';
import { maxTimestampStat } from './stats.js';

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

/** What one bronze commit did. */
export interface BronzeCommit {
  rows: number;
  state: BronzeTableState;
  /** The next offset to write, per partition, after this commit. */
  positions: number[];
  /** Wall time of the commit (batch, Parquet, Delta), in seconds. */
  seconds: number;
}

/**
 * The committing half of bronze for one topic (one writer per table): takes batches of log
 * records and commits each as one Delta version carrying one `txn` per partition (appId =
 * topic/partition, version = the last offset it holds), atomically with the data. It keeps each
 * partition's position from those txns, so records at or below a committed offset are dropped
 * when offered again (a reader that restarted, or a worker thread that died after its commit but
 * before its caller heard of it) and a batch that skips offsets is refused. A crash between
 * writing Parquet and committing leaves an orphan file that no snapshot references.
 */
export class BronzeTable {
  /** Last `_ingested_at` stamped, in microseconds since the epoch. */
  private lastStamp = 0;
  private readonly batchTable: string;

  private constructor(
    private readonly conn: Connection,
    readonly delta: DeltaTable,
    private readonly tmpDir: string,
    readonly positions: number[],
    public state: BronzeTableState,
  ) {
    this.batchTable = `_freshet.${quoteIdent(`bronze_batch_${state.table}`)}`;
  }

  /** Opens the topic's bronze table, creating it when missing, and reads its positions. */
  static async open(opts: {
    conn: Connection;
    store: ObjectStore;
    topic: string;
    partitions: number;
    tmpDir: string;
  }): Promise<BronzeTable> {
    const table = bronzeTableName(opts.topic);
    const delta = await DeltaTable.open(opts.store, lakePath('bronze', table));
    const snapshot = (await delta.exists())
      ? await delta.snapshot()
      : await delta.create({
          schema: BRONZE_SCHEMA,
          name: table,
          description: `Events of topic ${opts.topic} as accepted`,
        });
    const positions: number[] = [];
    for (let p = 0; p < opts.partitions; p++) {
      const last = snapshot.txnVersion(bronzeAppId(opts.topic, p));
      positions.push(last === undefined ? 0 : last + 1);
    }
    const bronze = new BronzeTable(opts.conn, delta, opts.tmpDir, positions, {
      table,
      topic: opts.topic,
      version: snapshot.version,
      rows: snapshot.files.reduce((n, f) => n + statRows(f.stats), 0),
      maxAcceptedAt: maxTimestampStat(snapshot.files, '_accepted_at'),
    });
    // Stats round a max up to the millisecond, so continuing above it keeps stamps increasing.
    bronze.lastStamp = (maxTimestampStat(snapshot.files, '_ingested_at') ?? 0) * 1000;
    await opts.conn.run('CREATE SCHEMA IF NOT EXISTS _freshet');
    await opts.conn.run(`CREATE OR REPLACE TABLE ${bronze.batchTable} ${BRONZE_BATCH_DDL}`);
    return bronze;
  }

  /**
   * Commits `batches[p]` (records of partition p, in offset order) as one Delta version.
   * Returns null when nothing new was offered. With `contiguous`, a batch that does not start
   * right at the partition's position is refused.
   */
  async commit(
    batches: StoredRecord[][],
    opts: { contiguous?: boolean } = {},
  ): Promise<BronzeCommit | null> {
    const fresh = batches.map((records, p) => {
      const from = this.positions[p]!;
      const keep =
        records.length > 0 && records[0]!.offset < from
          ? records.filter((r) => r.offset >= from)
          : records;
      // Only where offsets have no gaps (the embedded log; on Kafka a transaction's marker takes
      // an offset) does a batch that starts past the position mean lost records.
      if (opts.contiguous && keep.length > 0 && keep[0]!.offset !== from) {
        throw new Error(
          `bronze ${this.state.table}: partition ${p} continues at offset ${from}, ` +
            `but the batch starts at ${keep[0]!.offset}`,
        );
      }
      return keep;
    });
    const total = fresh.reduce((n, b) => n + b.length, 0);
    if (total === 0) return null;
    const started = performance.now();
    // Stamps strictly increase per table, whatever the wall clock does, and batches commit one
    // after another: so rows become visible in stamp order, and a silver model that takes
    // `_ingested_at > max(_ingested_at)` of what it already holds misses nothing.
    this.lastStamp = Math.max(Date.now() * 1000, this.lastStamp + 1);
    const maxAccepted = await appendBronzeBatch(
      this.conn,
      `bronze_batch_${this.state.table}`,
      fresh,
      this.state.maxAcceptedAt ?? 0,
    );
    try {
      const rows = bronzeRowsSql(this.batchTable, this.state.topic, this.lastStamp);
      const add = await writeDataFile(this.conn, rows, this.delta, this.tmpDir);
      const txns = fresh.flatMap((records, p) =>
        records.length === 0
          ? []
          : [
              {
                appId: bronzeAppId(this.state.topic, p),
                version: records[records.length - 1]!.offset,
              },
            ],
      );
      const version = await this.delta.append(add ? [add] : [], {
        txns,
        commitInfo: { 'freshet.rows': total },
      });
      fresh.forEach((records, p) => {
        if (records.length > 0) this.positions[p] = records[records.length - 1]!.offset + 1;
      });
      this.state = {
        ...this.state,
        version,
        rows: this.state.rows + total,
        maxAcceptedAt: maxAccepted,
      };
      return {
        rows: total,
        state: this.state,
        positions: [...this.positions],
        seconds: (performance.now() - started) / 1000,
      };
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
