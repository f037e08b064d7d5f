// The initial snapshot, as Debezium's MySQL connector takes it: a REPEATABLE READ transaction
// started WITH CONSISTENT SNAPSHOT at a known binlog position, then every captured table read in
// primary-key chunks inside it. The stream then starts at exactly that position, so a change
// committed before it is in the snapshot and one committed after it is in the stream: no gap, no
// overlap.
//
// How the position is pinned to the snapshot:
// - MariaDB: lock-free. START TRANSACTION WITH CONSISTENT SNAPSHOT makes MariaDB record the binlog
//   position matching the snapshot (status variables binlog_snapshot_file/_position), since the
//   binlog and InnoDB commit in one group-commit order.
// - MySQL (or `snapshotLocking: 'global'`): FLUSH TABLES WITH READ LOCK, START TRANSACTION WITH
//   CONSISTENT SNAPSHOT, SHOW MASTER STATUS, UNLOCK TABLES: writes are blocked only for the
//   moment it takes to read the position (needs the RELOAD privilege).
//
// After each chunk is durable in the log its last key is saved, so a restart goes on from there.
// The transaction does not survive a restart: the rest is read from a new one, and rows changed
// meanwhile show their newer state in the snapshot *and* their changes in the stream (replaying
// converges to the table's state and nothing is lost; see docs/cdc-mysql.md).

import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { EventRecords, RecordsByTopic } from '../postgres/event-records.js';
import { binlogHead, quoteIdent } from './catalog.js';
import type { MysqlCheckpoint } from './checkpoint.js';
import {
  keyJson,
  snapshotEventId,
  sourceBlock,
  topicFor,
  type BinlogPosition,
  type MysqlChangeEvent,
} from './envelope.js';
import { keyOf, qualifiedName, toRow, type MysqlTable, type Row } from './table-model.js';
import type { JsonValue } from '../postgres/values.js';

export type SnapshotLocking = 'none' | 'global';

/**
 * Opens the snapshot transaction and returns the binlog position (and GTID position) it is
 * consistent with. `locking` 'none' needs MariaDB.
 */
export async function openConsistentSnapshot(
  sql: Connection,
  locking: SnapshotLocking,
): Promise<{ position: BinlogPosition; gtid: string | null }> {
  await sql.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  if (locking === 'none') {
    await sql.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    const [rows] = await sql.query<RowDataPacket[]>("SHOW STATUS LIKE 'binlog_snapshot_%'");
    const v = new Map(rows.map((r) => [String(r.Variable_name).toLowerCase(), String(r.Value)]));
    const file = v.get('binlog_snapshot_file');
    const pos = v.get('binlog_snapshot_position');
    if (!file || !pos) {
      throw new Error(
        'the server does not report binlog_snapshot_file/position (not MariaDB?); use snapshotLocking "global"',
      );
    }
    return { position: { file, pos: Number(pos) }, gtid: null };
  }
  await sql.query('FLUSH TABLES WITH READ LOCK');
  try {
    await sql.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    return await binlogHead(sql);
  } finally {
    await sql.query('UNLOCK TABLES');
  }
}

export interface SnapshotContext {
  sql: Connection;
  /** True when `sql` holds the transaction opened at `checkpoint.snapshotPosition`. */
  consistent: boolean;
  tables: MysqlTable[];
  checkpoint: MysqlCheckpoint;
  prefix: string;
  serverId: number;
  chunkSize: number;
  records: EventRecords<MysqlTable>;
  append(records: RecordsByTopic): Promise<void>;
  save(): Promise<void>;
  stopping(): boolean;
  onRows(n: number): void;
  onProgress?: (message: string) => void;
}

/** Runs (or resumes) the snapshot; returns early, progress saved, when `stopping()` turns true. */
export async function runSnapshot(ctx: SnapshotContext): Promise<void> {
  const { sql, checkpoint: cp } = ctx;
  if (!ctx.consistent) {
    ctx.onProgress?.('resuming the snapshot after a restart, in a new transaction');
    await sql.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
  }
  try {
    const position = cp.snapshotPosition!;
    for (let ti = 0; ti < ctx.tables.length; ti++) {
      const t = ctx.tables[ti]!;
      const name = qualifiedName(t);
      const progress = (cp.snapshot.tables[name] ??= { done: false, lastKey: null, rows: 0 });
      const topic = topicFor(ctx.prefix, t.schema, t.table);
      const shape = await ctx.records.shape(topic, t);
      while (!progress.done) {
        if (ctx.stopping()) return;
        const { rows, more } = await readChunk(sql, t, progress.lastKey, ctx.chunkSize);
        const records: RecordsByTopic = new Map();
        for (let i = 0; i < rows.length; i++) {
          const raw = rows[i]!;
          const isLast = !more && ti === ctx.tables.length - 1 && i === rows.length - 1;
          const key = keyJson(keyOf(t, raw));
          const id = snapshotEventId(ctx.prefix, name, key);
          let after: Row;
          try {
            after = toRow(t, raw);
          } catch (err) {
            ctx.records.quarantine(records, topic, key, id, err, {
              table: name,
              key: keyOf(t, raw),
            });
            continue;
          }
          const now = Date.now();
          const event: MysqlChangeEvent = {
            before: null,
            after,
            source: sourceBlock({
              prefix: ctx.prefix,
              db: t.schema,
              table: t.table,
              snapshot: isLast ? 'last' : 'true',
              tsMs: now,
              serverId: ctx.serverId,
              gtid: null,
              position,
              row: 0,
              thread: null,
              query: null,
            }),
            op: 'r',
            ts_ms: now,
            transaction: null,
          };
          await ctx.records.add(records, shape, key, event, id);
        }
        await ctx.append(records);
        if (rows.length > 0) {
          const last = rows[rows.length - 1]!;
          progress.lastKey = t.primaryKey.map((k) => keyValue(last[k]));
        }
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

/** A key value as saved in the checkpoint (JSON); binary keys are kept as hex. */
function keyValue(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex')}`;
  return String(v);
}

/** The next rows after `lastKey` in primary-key order (keyset pagination off the PK index). */
async function readChunk(
  sql: Connection,
  t: MysqlTable,
  lastKey: JsonValue[] | null,
  size: number,
): Promise<{ rows: Record<string, unknown>[]; more: boolean }> {
  const cols = t.columns.map((c) => quoteIdent(c.name)).join(', ');
  const pk = t.primaryKey.map(quoteIdent).join(', ');
  const from = `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;
  const values = (lastKey ?? []).map((v) =>
    typeof v === 'string' && /^0x[0-9a-f]*$/.test(v) ? Buffer.from(v.slice(2), 'hex') : v,
  );
  const where = lastKey ? `WHERE (${pk}) > (${t.primaryKey.map(() => '?').join(', ')})` : '';
  const [rows] = await sql.query<RowDataPacket[]>(
    `SELECT ${cols} FROM ${from} ${where} ORDER BY ${pk} LIMIT ${size + 1}`,
    values,
  );
  const more = rows.length > size;
  return { rows: more ? rows.slice(0, size) : rows, more };
}
