// Debezium's change-event envelope for MySQL, field for field: {before, after, source, op, ts_ms,
// transaction}, with MySQL's `source` block (server_id, gtid, file, pos, row, thread, query).
// Topic naming and keys are shared with the PostgreSQL source; event ids come from the binlog
// position (file, end position of the rows event, row index), so a replay after a crash carries
// the same ids, and from table + primary key in the snapshot.

import { CONNECTOR_VERSION, keyJson, topicFor, transactionTopicFor } from '../postgres/envelope.js';
import type { Row } from './table-model.js';

export { keyJson, topicFor, transactionTopicFor };

export type MysqlOp = 'r' | 'c' | 'u' | 'd' | 't';

export interface MysqlSourceBlock {
  version: string;
  connector: 'mysql';
  name: string;
  ts_ms: number;
  snapshot: 'true' | 'last' | 'false';
  db: string;
  sequence: string | null;
  table: string | null;
  server_id: number;
  /** MariaDB: "domain-server-seq"; MySQL: "uuid:n"; null in the snapshot or without GTIDs. */
  gtid: string | null;
  file: string;
  pos: number;
  row: number;
  thread: number | null;
  query: string | null;
}

export interface MysqlTransactionBlock {
  id: string;
  total_order: number;
  data_collection_order: number;
}

export interface MysqlChangeEvent {
  before: Row | null;
  after: Row | null;
  source: MysqlSourceBlock;
  op: MysqlOp;
  ts_ms: number;
  transaction: MysqlTransactionBlock | null;
}

/** A binlog position. `pos` is a byte offset in `file`. */
export interface BinlogPosition {
  file: string;
  pos: number;
}

/** The id of the `row`-th row (0-based) of the rows event that ends at `pos` in `file`. */
export function streamEventId(prefix: string, file: string, pos: number, row: number): string {
  return `mysql:${prefix}:${file}:${pos}:${row}`;
}

export function snapshotEventId(prefix: string, qualifiedTable: string, key: string): string {
  return `mysql:${prefix}:snapshot:${qualifiedTable}:${key}`;
}

export function sourceBlock(p: {
  prefix: string;
  db: string;
  table: string | null;
  snapshot: MysqlSourceBlock['snapshot'];
  tsMs: number;
  serverId: number;
  gtid: string | null;
  position: BinlogPosition;
  row: number;
  thread: number | null;
  query: string | null;
}): MysqlSourceBlock {
  return {
    version: CONNECTOR_VERSION,
    connector: 'mysql',
    name: p.prefix,
    ts_ms: p.tsMs,
    snapshot: p.snapshot,
    db: p.db,
    sequence: null,
    table: p.table,
    server_id: p.serverId,
    gtid: p.gtid,
    file: p.position.file,
    pos: p.position.pos,
    row: p.row,
    thread: p.thread,
    query: p.query,
  };
}

/** Orders binlog positions: by the file's sequence suffix ("binlog.000012"), then the offset. */
export function comparePositions(a: BinlogPosition, b: BinlogPosition): number {
  const seq = (f: string) => Number(/\.(\d+)$/.exec(f)?.[1] ?? 0);
  if (a.file !== b.file) return Math.sign(seq(a.file) - seq(b.file)) || (a.file < b.file ? -1 : 1);
  return a.pos - b.pos;
}

export function formatPosition(p: BinlogPosition): string {
  return `${p.file}:${p.pos}`;
}
