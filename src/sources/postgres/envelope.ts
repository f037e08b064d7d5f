// Debezium's change-event envelope for PostgreSQL, field for field, so tools built for Debezium
// read Freshet's topics: {before, after, source, op, ts_ms, transaction}. Also the topic naming
// (`<prefix>.<schema>.<table>`) and the deterministic event ids that make replays idempotent.

import { formatLsn, type Lsn } from './lsn.js';
import type { Row } from './table-model.js';

/** Written in `source.version`: which producer made the event (Debezium puts its own version). */
export const CONNECTOR_VERSION = 'freshet-0.1.0';

export type Op = 'r' | 'c' | 'u' | 'd' | 't';

export interface SourceBlock {
  version: string;
  connector: 'postgresql';
  name: string;
  ts_ms: number;
  snapshot: 'true' | 'last' | 'false';
  db: string;
  sequence: string | null;
  schema: string;
  table: string;
  txId: number | null;
  lsn: number | null;
  xmin: number | null;
}

export interface TransactionBlock {
  /** Debezium's "<txId>:<lsn>". */
  id: string;
  total_order: number;
  data_collection_order: number;
}

export interface ChangeEvent {
  before: Row | null;
  after: Row | null;
  source: SourceBlock;
  op: Op;
  ts_ms: number;
  transaction: TransactionBlock | null;
}

/** Debezium's topic for a table: `<topic.prefix>.<schema>.<table>`. */
export function topicFor(prefix: string, schema: string, table: string): string {
  return `${prefix}.${schema}.${table}`;
}

/** Debezium's transaction metadata topic (BEGIN/END events). */
export function transactionTopicFor(prefix: string): string {
  return `${prefix}.transaction`;
}

/** The id of the n-th event (1-based) of the transaction that commits at `commitLsn`. */
export function streamEventId(slot: string, commitLsn: Lsn, n: number): string {
  return `pg:${slot}:${formatLsn(commitLsn)}:${n}`;
}

/** The id of a row's snapshot event; the key is the primary key's JSON. */
export function snapshotEventId(slot: string, qualifiedTable: string, keyJson: string): string {
  return `pg:${slot}:snapshot:${qualifiedTable}:${keyJson}`;
}

/** The record key: the primary key columns as JSON, as Debezium's key (without schema) is. */
export function keyJson(key: Row): string {
  return JSON.stringify(key);
}

/** Debezium's `source` block for an event of table `schema.table`. */
export function sourceBlock(p: {
  prefix: string;
  db: string;
  schema: string;
  table: string;
  snapshot: SourceBlock['snapshot'];
  tsMs: number;
  txId: number | null;
  /** The event's own LSN (the snapshot's consistent point for snapshot rows). */
  lsn: Lsn;
  /** The LSN of the commit of the event's transaction; null in the snapshot. */
  commitLsn: Lsn | null;
}): SourceBlock {
  return {
    version: CONNECTOR_VERSION,
    connector: 'postgresql',
    name: p.prefix,
    ts_ms: p.tsMs,
    snapshot: p.snapshot,
    db: p.db,
    // Debezium: [last committed LSN, this event's LSN] as strings, for ordering and dedupe.
    sequence: JSON.stringify([p.commitLsn === null ? null : String(p.commitLsn), String(p.lsn)]),
    schema: p.schema,
    table: p.table,
    txId: p.txId,
    lsn: Number(p.lsn),
    xmin: null,
  };
}
