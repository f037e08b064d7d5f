// Turns the stream's pgoutput messages into Debezium change events, transaction by transaction:
// Relation messages give each table's current shape (a new shape registers a new schema version),
// Begin/Commit delimit transactions (their order numbers, ids and the BEGIN/END metadata events),
// and each row change becomes one event (two for a changed primary key, plus tombstones).

import type { CapturedTable } from './catalog.js';
import {
  keyJson,
  sourceBlock,
  streamEventId,
  topicFor,
  transactionTopicFor,
  type ChangeEvent,
  type Op,
} from './envelope.js';
import {
  addRecord,
  type EventRecords,
  type RecordsByTopic,
  type RegisteredShape,
} from './event-records.js';
import { formatLsn, type Lsn } from './lsn.js';
import { pgTimeToMillis, type PgOutputMessage } from './pgoutput.js';
import {
  keyOf,
  qualifiedName,
  tupleToRow,
  UNAVAILABLE_VALUE,
  type Row,
  type TableModel,
} from './table-model.js';
import { ValueConversionError } from './values.js';

export interface ChangeDecoderOptions {
  slot: string;
  prefix: string;
  db: string;
  sourceName: string;
  tables: Map<string, CapturedTable>;
  publication: string;
  records: EventRecords;
  transactionTopic: boolean;
  /** Hands over the records of one message, in order. */
  emit(records: RecordsByTopic): void;
  /** A transaction ended at `endLsn` (its records were all emitted). */
  commit(endLsn: Lsn): void;
}

interface OpenTransaction {
  xid: number;
  commitLsn: Lsn;
  commitMs: number;
  n: number;
  perTable: Map<string, number>;
}

type RowMessage = Extract<PgOutputMessage, { tag: 'insert' | 'update' | 'delete' }>;

export class ChangeDecoder {
  private readonly relations = new Map<number, RegisteredShape>();
  private txn: OpenTransaction | null = null;

  constructor(private readonly opts: ChangeDecoderOptions) {}

  /** A new replication connection: the server sends Relation messages and the open transaction again. */
  reset(): void {
    this.relations.clear();
    this.txn = null;
  }

  get inTransaction(): boolean {
    return this.txn !== null;
  }

  async handle(walStart: Lsn, msg: PgOutputMessage): Promise<void> {
    switch (msg.tag) {
      case 'begin':
        this.txn = {
          xid: msg.xid,
          commitLsn: msg.finalLsn,
          commitMs: pgTimeToMillis(msg.commitTimeMicros),
          n: 0,
          perTable: new Map(),
        };
        this.txnEvent(this.txn, 'BEGIN', { event_count: null, data_collections: null });
        return;
      case 'commit': {
        const txn = this.txn;
        this.txn = null;
        if (txn) {
          this.txnEvent(txn, 'END', {
            event_count: txn.n,
            data_collections: [...txn.perTable].map(([data_collection, event_count]) => ({
              data_collection,
              event_count,
            })),
          });
        }
        this.opts.commit(msg.endLsn);
        return;
      }
      case 'relation':
        await this.onRelation(msg);
        return;
      case 'insert':
      case 'update':
      case 'delete':
        await this.onRow(walStart, msg);
        return;
      case 'truncate':
        for (const id of msg.relationIds) {
          await this.emitChange(this.relationOf(id), walStart, 't', null, null, null);
        }
        return;
      default:
        return; // type, origin and logical messages carry nothing to capture
    }
  }

  /** Debezium's transaction metadata event (BEGIN or END) in `<prefix>.transaction`. */
  private txnEvent(txn: OpenTransaction, status: 'BEGIN' | 'END', rest: object): void {
    if (!this.opts.transactionTopic) return;
    const id = txnIdOf(txn);
    const records: RecordsByTopic = new Map();
    addRecord(records, transactionTopicFor(this.opts.prefix), {
      key: JSON.stringify({ id }),
      value: Buffer.from(JSON.stringify({ status, id, ...rest, ts_ms: txn.commitMs })),
      headers: {
        'freshet.source': this.opts.sourceName,
        'freshet.event-id': `pg:${this.opts.slot}:${formatLsn(txn.commitLsn)}:${status.toLowerCase()}`,
        'freshet.txn': status,
      },
    });
    this.opts.emit(records);
  }

  private relationOf(id: number): RegisteredShape {
    const rel = this.relations.get(id);
    if (!rel) {
      throw new Error(
        `pgoutput sent a change for relation ${id} before its Relation message; this is a protocol error, reconnecting`,
      );
    }
    return rel;
  }

  private async onRelation(msg: Extract<PgOutputMessage, { tag: 'relation' }>): Promise<void> {
    const name = `${msg.schema}.${msg.table}`;
    const captured = this.opts.tables.get(name);
    if (!captured) {
      throw new Error(
        `pgoutput sent relation ${name}, which this source does not capture; is publication ${this.opts.publication} shared with another source?`,
      );
    }
    const model: TableModel = {
      schema: msg.schema,
      table: msg.table,
      columns: msg.columns.map((c) => ({
        name: c.name,
        typeOid: c.typeOid,
        typeMod: c.typeMod,
        // REPLICA IDENTITY FULL flags every column; the event key is the primary key.
        key: captured.primaryKey.includes(c.name),
      })),
    };
    const topic = topicFor(this.opts.prefix, msg.schema, msg.table);
    this.relations.set(msg.relationId, await this.opts.records.shape(topic, model));
  }

  private async onRow(walStart: Lsn, msg: RowMessage): Promise<void> {
    const rel = this.relationOf(msg.relationId);
    let before: Row | null = null;
    let after: Row | null = null;
    try {
      ({ before, after } = rows(rel.model, msg));
    } catch (err) {
      if (!(err instanceof ValueConversionError)) throw err;
      const id = streamEventId(this.opts.slot, this.openTxn().commitLsn, this.nextN(rel.model));
      const records: RecordsByTopic = new Map();
      this.opts.records.quarantine(records, rel.topic, null, id, err, {
        table: qualifiedName(rel.model),
        op: msg.tag,
        lsn: formatLsn(walStart),
      });
      this.opts.emit(records);
      return;
    }
    const op: Op = msg.tag === 'insert' ? 'c' : msg.tag === 'update' ? 'u' : 'd';
    const key = keyOf(rel.model, (after ?? before)!);
    if (op === 'u' && before && keyJson(keyOf(rel.model, before)) !== keyJson(key)) {
      // The primary key changed: as Debezium, a delete (and tombstone) under the old key, then a
      // create under the new one, so each key's partition tells that key's whole story.
      const oldKey = keyOf(rel.model, before);
      const full = msg.tag === 'update' && msg.oldKind === 'full';
      const gone = full ? before : { ...nulls(rel.model), ...oldKey };
      await this.emitChange(rel, walStart, 'd', gone, null, oldKey);
      await this.emitChange(rel, walStart, 'c', null, after, key);
      return;
    }
    await this.emitChange(rel, walStart, op, before, after, key);
  }

  private openTxn(): OpenTransaction {
    if (!this.txn) {
      throw new Error('pgoutput sent a change outside a transaction (no Begin); reconnecting');
    }
    return this.txn;
  }

  private nextN(model: TableModel): number {
    const txn = this.openTxn();
    txn.n++;
    const name = qualifiedName(model);
    txn.perTable.set(name, (txn.perTable.get(name) ?? 0) + 1);
    return txn.n;
  }

  private async emitChange(
    rel: RegisteredShape,
    walStart: Lsn,
    op: Op,
    before: Row | null,
    after: Row | null,
    key: Row | null,
  ): Promise<void> {
    const txn = this.openTxn();
    const n = this.nextN(rel.model);
    const event: ChangeEvent = {
      before,
      after,
      source: sourceBlock({
        prefix: this.opts.prefix,
        db: this.opts.db,
        schema: rel.model.schema,
        table: rel.model.table,
        snapshot: 'false',
        tsMs: txn.commitMs,
        txId: txn.xid,
        lsn: walStart,
        commitLsn: txn.commitLsn,
      }),
      op,
      ts_ms: Date.now(),
      transaction: {
        id: txnIdOf(txn),
        total_order: n,
        data_collection_order: txn.perTable.get(qualifiedName(rel.model))!,
      },
    };
    const id = streamEventId(this.opts.slot, txn.commitLsn, n);
    const records: RecordsByTopic = new Map();
    const k = key ? keyJson(key) : null;
    await this.opts.records.add(records, rel, k, event, id);
    if (op === 'd' && k !== null) this.opts.records.tombstone(records, rel.topic, k, id);
    this.opts.emit(records);
  }
}

/** The before and after rows of a row message, as Debezium fills them. */
function rows(model: TableModel, msg: RowMessage): { before: Row | null; after: Row | null } {
  if (msg.tag === 'insert') return { before: null, after: tupleToRow(model, msg.newTuple) };
  if (msg.tag === 'delete') {
    const old = tupleToRow(model, msg.oldTuple);
    return {
      before: msg.oldKind === 'full' ? old : { ...nulls(model), ...keyOf(model, old) },
      after: null,
    };
  }
  const after = tupleToRow(model, msg.newTuple);
  // Old row: the whole row under REPLICA IDENTITY FULL ('O'), else the old key when the key
  // changed ('K'), else nothing: Debezium writes null then too.
  if (!msg.oldTuple) return { before: null, after };
  const old = tupleToRow(model, msg.oldTuple);
  if (msg.oldKind !== 'full') return { before: keyOf(model, old), after };
  // Under FULL the old row carries the TOASTed values the new row leaves out ('u'): the only
  // case where the unchanged value is known, so it is filled in.
  for (const [k, v] of Object.entries(after)) {
    if (v === UNAVAILABLE_VALUE && old[k] !== UNAVAILABLE_VALUE) after[k] = old[k]!;
  }
  return { before: old, after };
}

/** Debezium's transaction id: "<txId>:<commit LSN as a number>". */
function txnIdOf(txn: OpenTransaction): string {
  return `${txn.xid}:${txn.commitLsn}`;
}

function nulls(model: TableModel): Row {
  const row: Row = {};
  for (const c of model.columns) row[c.name] = null;
  return row;
}
