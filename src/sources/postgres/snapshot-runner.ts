// The initial snapshot: every captured table read in primary-key chunks inside one REPEATABLE READ
// transaction on the slot's exported snapshot, so the rows are exactly the database at the slot's
// consistent point and the stream, starting there, neither misses nor repeats a change. After each
// chunk is durable in the log its last key is saved, so a restart goes on from there.
//
// After a restart mid-snapshot the exported snapshot is gone (it lives only as long as the
// connection that created the slot): the remaining chunks are read from a new snapshot, and rows
// changed meanwhile show their newer state in the snapshot *and* their changes in the stream
// (replay still converges to the table's state and nothing is lost; see docs/cdc-postgres.md).

import type pg from 'pg';
import type { CapturedTable } from './catalog.js';
import type { PgCheckpoint } from './checkpoint.js';
import { keyJson, snapshotEventId, sourceBlock, topicFor, type ChangeEvent } from './envelope.js';
import type { EventRecords, RecordsByTopic } from './event-records.js';
import { parseLsn } from './lsn.js';
import { quoteLiteral } from './replication-stream.js';
import { readSnapshotChunk } from './snapshot.js';
import { qualifiedName, type Row } from './table-model.js';

export interface SnapshotContext {
  sql: pg.Client;
  /** The slot's exported snapshot; null when it is gone (a restart mid-snapshot). */
  snapshotName: string | null;
  tables: CapturedTable[];
  /** Holds the progress; saved through `save`. */
  checkpoint: PgCheckpoint;
  slot: string;
  prefix: string;
  db: string;
  chunkSize: number;
  records: EventRecords;
  append(records: RecordsByTopic): Promise<void>;
  save(): Promise<void>;
  stopping(): boolean;
  onRows(n: number): void;
  onProgress?: (message: string) => void;
}

/** Runs (or resumes) the snapshot; returns early, progress saved, when `stopping()` turns true. */
export async function runSnapshot(ctx: SnapshotContext): Promise<void> {
  const { sql, checkpoint: cp } = ctx;
  await sql.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    if (ctx.snapshotName) {
      await sql.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(ctx.snapshotName)}`);
    } else {
      ctx.onProgress?.('resuming the snapshot after a restart, from a new database snapshot');
    }
    const consistentPoint = parseLsn(cp.consistentPoint!);
    for (let ti = 0; ti < ctx.tables.length; ti++) {
      const t = ctx.tables[ti]!;
      const name = qualifiedName(t);
      const progress = (cp.snapshot.tables[name] ??= { done: false, lastKey: null, rows: 0 });
      const topic = topicFor(ctx.prefix, t.schema, t.table);
      const shape = await ctx.records.shape(topic, t);
      while (!progress.done) {
        if (ctx.stopping()) return;
        const { rows, more } = await readSnapshotChunk(sql, t, progress.lastKey, ctx.chunkSize);
        const records: RecordsByTopic = new Map();
        for (let i = 0; i < rows.length; i++) {
          const isLast = !more && ti === ctx.tables.length - 1 && i === rows.length - 1;
          const r = rows[i]!;
          const key = keyJson(r.key);
          const id = snapshotEventId(ctx.slot, name, key);
          let after: Row;
          try {
            after = r.row();
          } catch (err) {
            ctx.records.quarantine(records, topic, key, id, err, { table: name, key: r.key });
            continue;
          }
          const now = Date.now();
          const event: ChangeEvent = {
            before: null,
            after,
            source: sourceBlock({
              prefix: ctx.prefix,
              db: ctx.db,
              schema: t.schema,
              table: t.table,
              snapshot: isLast ? 'last' : 'true',
              tsMs: now,
              txId: null,
              lsn: consistentPoint,
              commitLsn: null,
            }),
            op: 'r',
            ts_ms: now,
            transaction: null,
          };
          await ctx.records.add(records, shape, key, event, id);
        }
        await ctx.append(records);
        if (rows.length > 0) progress.lastKey = rows[rows.length - 1]!.keyValues;
        progress.rows += rows.length;
        progress.done = !more;
        ctx.onRows(rows.length);
        await ctx.save();
      }
    }
    cp.snapshot.done = true;
    await ctx.save();
  } finally {
    await sql.query('COMMIT').catch(() => undefined);
  }
}
