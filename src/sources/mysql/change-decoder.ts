// Turns binlog events into Debezium change events, transaction by transaction. A MariaDB GTID
// event (or a BEGIN query) opens a transaction, row events of captured tables become events, an
// XID (or COMMIT query) ends it at a position the batcher may confirm once everything before it is
// durable. DDL on a captured table refreshes its description (a new schema version) and TRUNCATE
// becomes Debezium's 't' event. Rows that cannot be converted go to quarantine with the reason.

import type { AnyBinlogEvent, BinlogEventByName, BinlogEventName } from '@vlasky/zongji';
import {
  addRecord,
  type EventRecords,
  type RecordsByTopic,
  type RegisteredShape,
} from '../postgres/event-records.js';
import {
  keyJson,
  sourceBlock,
  streamEventId,
  topicFor,
  transactionTopicFor,
  type BinlogPosition,
  type MysqlChangeEvent,
  type MysqlOp,
} from './envelope.js';
import { keyOf, qualifiedName, toRow, type MysqlTable, type Row } from './table-model.js';

export interface DecoderOptions {
  prefix: string;
  sourceName: string;
  tables: Map<string, MysqlTable>;
  records: EventRecords<MysqlTable>;
  transactionTopic: boolean;
  /** The server's server_id (Debezium's `source.server_id`). */
  serverId: number;
  /** Reads a table's description again (after DDL). */
  describe(name: string): Promise<MysqlTable>;
  emit(records: RecordsByTopic): void;
  /** A transaction (or a standalone DDL) ended at `position`; `gtid` is its GTID if any. */
  commit(position: BinlogPosition, gtid: string | null): void;
}

interface OpenTransaction {
  id: string;
  gtid: string | null;
  n: number;
  perTable: Map<string, number>;
  begun: boolean;
}

function is<N extends BinlogEventName>(e: AnyBinlogEvent, name: N): e is BinlogEventByName<N> {
  return e.getEventName() === name;
}

const DDL = /^\s*(?:\/\*.*?\*\/\s*)*(alter|create|drop|rename|truncate)\b/is;

export class ChangeDecoder {
  /** The binlog file the events come from (a Rotate event names it first). */
  file = '';
  /** End of the last event handled: where the stream is. */
  position: BinlogPosition | null = null;
  /** Binlog timestamp (ms) of the last event handled, for the lag. */
  lastEventMs: number | null = null;
  private txn: OpenTransaction | null = null;
  private pendingGtid: string | null = null;
  private readonly shapes = new Map<string, RegisteredShape<MysqlTable>>();

  constructor(private readonly opts: DecoderOptions) {}

  get inTransaction(): boolean {
    return this.txn !== null;
  }

  /** A new connection: it starts again at a transaction boundary. */
  reset(): void {
    this.txn = null;
    this.pendingGtid = null;
  }

  async handle(e: AnyBinlogEvent): Promise<void> {
    if (is(e, 'rotate')) {
      this.file = e.binlogName;
      this.position = { file: e.binlogName, pos: e.position };
      return;
    }
    if (e.timestamp > 0) this.lastEventMs = e.timestamp;
    if (is(e, 'heartbeat')) return;
    const at = { file: this.file, pos: e.nextPosition };
    if (e.nextPosition > 0) this.position = at;
    if (is(e, 'mariadbgtid')) {
      // A standalone group (DDL) has no BEGIN/XID: its Query event follows and ends it.
      this.pendingGtid = e.gtid;
      if (!e.standalone) this.begin(e.gtid, at);
      return;
    }
    if (is(e, 'gtid')) {
      this.pendingGtid = e.gtid;
      return;
    }
    if (is(e, 'xid')) return this.end(at);
    if (is(e, 'query')) return this.query(e, at);
    if (is(e, 'writerows') || is(e, 'updaterows') || is(e, 'deleterows')) {
      return this.rows(e, at);
    }
  }

  private begin(gtid: string | null, at: BinlogPosition): void {
    this.txn = {
      id: gtid ?? `${at.file}:${at.pos}`,
      gtid,
      n: 0,
      perTable: new Map(),
      begun: false,
    };
  }

  private end(at: BinlogPosition): void {
    const txn = this.txn;
    this.txn = null;
    const gtid = txn?.gtid ?? this.pendingGtid;
    this.pendingGtid = null;
    if (txn?.begun) {
      this.txnEvent(txn, 'END', {
        event_count: txn.n,
        data_collections: [...txn.perTable].map(([data_collection, event_count]) => ({
          data_collection,
          event_count,
        })),
      });
    }
    this.opts.commit(at, gtid);
  }

  private async query(e: BinlogEventByName<'query'>, at: BinlogPosition): Promise<void> {
    const q = e.query.trim();
    if (/^BEGIN$/i.test(q)) return this.begin(this.pendingGtid, at);
    if (/^COMMIT$/i.test(q)) return this.end(at);
    const m = DDL.exec(q);
    if (m) {
      for (const t of this.opts.tables.values()) {
        if (!mentions(q, t, e.schema)) continue;
        if (m[1]!.toLowerCase() === 'truncate') await this.truncate(t, e, at);
        else await this.refresh(t);
      }
    }
    // DDL commits implicitly: the position after it may be confirmed.
    if (!this.txn) this.end(at);
  }

  /** The table changed shape: describe it again; the new shape registers a new schema version. */
  private async refresh(t: MysqlTable): Promise<void> {
    const name = qualifiedName(t);
    let fresh: MysqlTable;
    try {
      fresh = await this.opts.describe(name);
    } catch {
      return; // dropped: nothing more will come for it
    }
    this.opts.tables.set(name, fresh);
    this.shapes.delete(name);
    await this.shape(fresh);
  }

  private async shape(t: MysqlTable): Promise<RegisteredShape<MysqlTable>> {
    const name = qualifiedName(t);
    let s = this.shapes.get(name);
    if (!s || s.model !== t) {
      s = await this.opts.records.shape(topicFor(this.opts.prefix, t.schema, t.table), t);
      this.shapes.set(name, s);
    }
    return s;
  }

  private async truncate(
    t: MysqlTable,
    e: BinlogEventByName<'query'>,
    at: BinlogPosition,
  ): Promise<void> {
    const shape = await this.shape(t);
    const records: RecordsByTopic = new Map();
    const event = this.event(t, 't', null, null, at, 0, e.timestamp, e.slaveProxyId, e.query);
    await this.opts.records.add(
      records,
      shape,
      null,
      event,
      streamEventId(this.opts.prefix, at.file, at.pos, 0),
    );
    this.opts.emit(records);
  }

  private async rows(
    e:
      | BinlogEventByName<'writerows'>
      | BinlogEventByName<'updaterows'>
      | BinlogEventByName<'deleterows'>,
    at: BinlogPosition,
  ): Promise<void> {
    const map = e.tableMap[e.tableId];
    if (!map) return;
    const t = this.opts.tables.get(`${map.parentSchema}.${map.tableName}`);
    if (!t) return;
    if (!this.txn) this.begin(this.pendingGtid, at); // a non-transactional engine's statement
    const shape = await this.shape(t);
    const topic = shape.topic;
    const records: RecordsByTopic = new Map();
    for (let i = 0; i < e.rows.length; i++) {
      const id = streamEventId(this.opts.prefix, at.file, at.pos, i);
      let op: MysqlOp;
      let before: Row | null = null;
      let after: Row | null = null;
      let rawKey: Record<string, unknown>;
      const r = e.rows[i]!;
      try {
        if (is(e, 'updaterows')) {
          const u = r as { before: Record<string, unknown>; after: Record<string, unknown> };
          op = 'u';
          rawKey = u.after;
          before = toRow(t, u.before);
          after = toRow(t, u.after);
        } else if (is(e, 'writerows')) {
          op = 'c';
          rawKey = r as Record<string, unknown>;
          after = toRow(t, rawKey);
        } else {
          op = 'd';
          rawKey = r as Record<string, unknown>;
          before = toRow(t, rawKey);
        }
      } catch (err) {
        const raw = (
          is(e, 'updaterows') ? (r as { after: Record<string, unknown> }).after : r
        ) as Record<string, unknown>;
        const key = keyJson(keyOf(t, raw));
        this.opts.records.quarantine(records, topic, key, id, err, {
          table: qualifiedName(t),
          key: keyOf(t, raw),
          position: at,
        });
        continue;
      }
      const key = keyJson(keyOf(t, rawKey));
      // An update that changed the key: Debezium's delete of the old key, then a create.
      if (
        op === 'u' &&
        keyJson(keyOf(t, (r as { before: Record<string, unknown> }).before)) !== key
      ) {
        const oldKey = keyJson(keyOf(t, (r as { before: Record<string, unknown> }).before));
        const del = this.event(t, 'd', before, null, at, i, e.timestamp, null, null);
        await this.opts.records.add(records, shape, oldKey, del, `${id}:d`);
        this.opts.records.tombstone(records, topic, oldKey, `${id}:d`);
        const cre = this.event(t, 'c', null, after, at, i, e.timestamp, null, null);
        await this.opts.records.add(records, shape, key, cre, id);
        continue;
      }
      const event = this.event(t, op, before, after, at, i, e.timestamp, null, null);
      await this.opts.records.add(records, shape, key, event, id);
      if (op === 'd') this.opts.records.tombstone(records, topic, key, id);
    }
    this.opts.emit(records);
  }

  private event(
    t: MysqlTable,
    op: MysqlOp,
    before: Row | null,
    after: Row | null,
    at: BinlogPosition,
    row: number,
    tsMs: number,
    thread: number | null,
    query: string | null,
  ): MysqlChangeEvent {
    const txn = this.txn;
    let transaction: MysqlChangeEvent['transaction'] = null;
    if (txn) {
      if (!txn.begun) {
        txn.begun = true;
        this.txnEvent(txn, 'BEGIN', { event_count: null, data_collections: null });
      }
      txn.n++;
      const name = qualifiedName(t);
      txn.perTable.set(name, (txn.perTable.get(name) ?? 0) + 1);
      transaction = {
        id: txn.id,
        total_order: txn.n,
        data_collection_order: txn.perTable.get(name)!,
      };
    }
    return {
      before,
      after,
      source: sourceBlock({
        prefix: this.opts.prefix,
        db: t.schema,
        table: t.table,
        snapshot: 'false',
        tsMs,
        serverId: this.opts.serverId,
        gtid: txn?.gtid ?? this.pendingGtid,
        position: at,
        row,
        thread,
        query,
      }),
      op,
      ts_ms: Date.now(),
      transaction,
    };
  }

  /** Debezium's transaction metadata event (BEGIN or END) in `<prefix>.transaction`. */
  private txnEvent(txn: OpenTransaction, status: 'BEGIN' | 'END', rest: object): void {
    if (!this.opts.transactionTopic) return;
    const records: RecordsByTopic = new Map();
    addRecord(records, transactionTopicFor(this.opts.prefix), {
      key: JSON.stringify({ id: txn.id }),
      value: Buffer.from(JSON.stringify({ status, id: txn.id, ts_ms: Date.now(), ...rest })),
      headers: {
        'freshet.source': this.opts.sourceName,
        'freshet.event-id': `mysql:${this.opts.prefix}:txn:${txn.id}:${status}`,
      },
    });
    this.opts.emit(records);
  }
}

/** Whether a DDL statement names the table (with or without its database, quoted or not). */
function mentions(query: string, t: MysqlTable, currentDb: string): boolean {
  const name = t.table.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const db = t.schema.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const qualified = new RegExp(`\`?${db}\`?\\s*\\.\\s*\`?${name}\`?(?![\\w$])`, 'i');
  if (qualified.test(query)) return true;
  const bare = new RegExp(`(?<![\\w$.\`])\`?${name}\`?(?![\\w$.])`, 'i');
  return currentDb === t.schema && bare.test(query);
}
