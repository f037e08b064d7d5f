// PostgreSQL change data capture: a consistent snapshot exported from a logical replication slot,
// then the slot's pgoutput stream from the snapshot's consistent point (no gap, no overlap), as
// Debezium-envelope events in one topic per table. Positions are confirmed to the server only once
// the events before them are durable in the log (invariant 3).

import pg from 'pg';
import type { Log, LogRecord } from '../../log/index.js';
import type { Metrics } from '../../observe/index.js';
import {
  encodeWire,
  subjectForTopic,
  type CompatibilityLevel,
  type SchemaRegistry,
} from '../../registry/index.js';
import type { Source, SourceStatus } from '../source.js';
import {
  describeTable,
  ensurePublication,
  CaptureSetupError,
  type CapturedTable,
} from './catalog.js';
import { loadCheckpoint, saveCheckpoint, type PgCheckpoint } from './checkpoint.js';
import {
  CONNECTOR_VERSION,
  keyJson,
  snapshotEventId,
  streamEventId,
  topicFor,
  transactionTopicFor,
  type ChangeEvent,
  type Op,
  type SourceBlock,
} from './envelope.js';
import { formatLsn, parseLsn, type Lsn } from './lsn.js';
import { decodePgOutput, pgTimeToMillis, type PgOutputMessage } from './pgoutput.js';
import {
  connectReplication,
  quoteIdent,
  quoteLiteral,
  ReplicationStream,
} from './replication-stream.js';
import { readSnapshotChunk } from './snapshot.js';
import {
  envelopeSchema,
  keyOf,
  qualifiedName,
  tupleToRow,
  UNAVAILABLE_VALUE,
  type Row,
  type TableModel,
} from './table-model.js';
import { ValueConversionError } from './values.js';

/** Topic where events that cannot be converted or validated are kept, with the reason. */
export const PG_QUARANTINE_TOPIC = 'freshet.quarantine';

/**
 * Session settings both connections use, so values arrive in the text forms the converter reads
 * (ISO dates in UTC, hex bytea, floats with every digit).
 */
const SESSION_OPTIONS =
  '-c DateStyle=ISO -c TimeZone=UTC -c bytea_output=hex -c extra_float_digits=3 -c IntervalStyle=iso_8601';

export interface PostgresCdcSourceOptions {
  /** The source's name (status, `freshet.source` header); default "postgres". */
  name?: string;
  /** How to reach the database: host, port, user, password, database (`pg` client config). */
  connection: pg.ClientConfig;
  /** Debezium's topic.prefix: topics are `<prefix>.<schema>.<table>`; also `source.name`. */
  topicPrefix: string;
  /** Captured tables as "schema.table"; each needs a primary key. */
  tables: string[];
  /** Replication slot, created if missing (default "freshet_<prefix>"). */
  slot?: string;
  /** Publication, created if missing and extended with missing tables (default "freshet_<prefix>"). */
  publication?: string;
  log: Log;
  registry: SchemaRegistry;
  metrics?: Metrics;
  /** Where the source keeps its own position (a small JSON file, replaced atomically). */
  checkpointPath: string;
  /** Partitions of each table topic (default 1); records are keyed by primary key. */
  partitions?: number;
  /** Rows per snapshot chunk (default 10,000); progress is saved after each. */
  snapshotChunkSize?: number;
  /** Heartbeat period: confirms idle WAL, emits a heartbeat message, refreshes slot lag (default 10 s). */
  heartbeatIntervalMs?: number;
  /** Events gathered before an append even inside one transaction (default 20,000). */
  maxBatchRecords?: number;
  /** Delay before reconnecting after the server went away (default 1 s). */
  reconnectDelayMs?: number;
  /**
   * Compatibility level set on each table's subject before its first schema (default NONE): the
   * database has already accepted a retyped column, and refusing its schema would stop capture and
   * let WAL pile up. null keeps the registry's level (an incompatible change then fails the source).
   */
  schemaCompatibility?: CompatibilityLevel | null;
  /** Also write BEGIN/END events to `<prefix>.transaction`, as Debezium's transaction metadata (default true). */
  transactionTopic?: boolean;
  /** Frame values in Confluent's wire format (magic byte, schema id), as the simulator can. */
  wireFormat?: boolean;
  onError?: (err: unknown) => void;
  onProgress?: (message: string) => void;
}

export interface PostgresCdcStatus extends SourceStatus {
  /** The last LSN confirmed to the server ("X/Y"), i.e. durable in the log. */
  confirmedLsn: string | null;
  /** WAL bytes the server keeps for this slot (current WAL position − confirmed); null before known. */
  slotLagBytes: number | null;
  snapshot: { done: boolean; rows: number };
}

interface Relation {
  model: TableModel;
  captured: CapturedTable;
  topic: string;
  subject: string;
  schemaId: number;
  /** Whether this shape is the subject's latest schema (the registry validates against the latest). */
  validate: boolean;
}

interface OpenTransaction {
  xid: number;
  commitLsn: Lsn;
  commitMs: number;
  n: number;
  perTable: Map<string, number>;
}

export class PostgresCdcSource implements Source {
  readonly name: string;
  private readonly slot: string;
  private readonly publication: string;
  private readonly tables = new Map<string, CapturedTable>();
  private readonly relations = new Map<number, Relation>();
  /** subject → schema text → [id, isLatest], so a Relation message registers only new shapes. */
  private readonly schemaIds = new Map<string, Map<string, { id: number; latest: boolean }>>();
  private cp!: PgCheckpoint;
  private sql: pg.Client | null = null;
  private stream: ReplicationStream | null = null;
  private state: SourceStatus['state'] = 'idle';
  private stopping = false;
  private accepted = 0;
  private rejected = 0;
  private snapshotRows = 0;
  private lastError: string | null = null;
  private slotLagBytes: number | null = null;
  private confirmed: Lsn = 0n;
  private running: Promise<void> | null = null;
  private heartbeat: NodeJS.Timeout | null = null;

  // The stream's processing: payloads queue here and are handled one at a time, in order.
  private queue: Array<
    { kind: 'data'; walStart: Lsn; payload: Buffer } | { kind: 'keepalive'; walEnd: Lsn }
  > = [];
  private draining: Promise<void> | null = null;
  private txn: OpenTransaction | null = null;
  // Records not yet appended, by topic, and the commit end LSN they complete (null mid-transaction).
  private pending = new Map<string, LogRecord[]>();
  private pendingCount = 0;
  private pendingConfirm: Lsn | null = null;
  private flushing: Promise<void> | null = null;
  private paused = false;

  constructor(private readonly opts: PostgresCdcSourceOptions) {
    this.name = opts.name ?? 'postgres';
    const base = `freshet_${opts.topicPrefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`;
    this.slot = opts.slot ?? base;
    this.publication = opts.publication ?? base;
    if (!/^[a-z0-9_]{1,63}$/.test(this.slot)) {
      throw new CaptureSetupError(
        `replication slot name "${this.slot}" is not valid: PostgreSQL allows lower-case letters, digits and _ (at most 63)`,
      );
    }
  }

  private get db(): string {
    return this.opts.connection.database ?? this.opts.connection.user ?? 'postgres';
  }

  private async connectSql(): Promise<pg.Client> {
    const client = new pg.Client({ ...this.opts.connection, options: SESSION_OPTIONS });
    client.on('error', (err) => this.report(err));
    await client.connect();
    return client;
  }

  /** The SQL connection, reconnected after the server went away. */
  private async sqlClient(): Promise<pg.Client> {
    if (!this.sql) this.sql = await this.connectSql();
    return this.sql;
  }

  private dropSql(): void {
    const c = this.sql;
    this.sql = null;
    c?.end().catch(() => undefined);
  }

  private report(err: unknown): void {
    this.lastError = err instanceof Error ? err.message : String(err);
    this.opts.metrics?.errors.inc({ stage: 'source' });
    this.opts.onError?.(err);
  }

  async start(): Promise<void> {
    try {
      await this.setUp();
    } catch (err) {
      this.state = 'failed';
      this.report(err);
      this.dropSql();
      throw err;
    }
  }

  /** Checkpoint, catalog, publication, topics, schemas, slot; then the snapshot and stream run on. */
  private async setUp(): Promise<void> {
    this.stopping = false;
    const loaded = await loadCheckpoint(this.opts.checkpointPath);
    this.hadCheckpoint = loaded !== null;
    if (loaded && loaded.slot !== this.slot) {
      throw new CaptureSetupError(
        `checkpoint ${this.opts.checkpointPath} belongs to replication slot "${loaded.slot}", not "${this.slot}"; use that slot or another checkpoint path`,
      );
    }
    this.cp = loaded ?? {
      version: 1,
      slot: this.slot,
      consistentPoint: null,
      snapshot: { done: false, tables: {} },
      confirmedLsn: null,
    };
    const sql = await this.sqlClient();
    for (const name of this.opts.tables) {
      const t = await describeTable(sql, name);
      this.tables.set(qualifiedName(t), t);
    }
    await ensurePublication(sql, this.publication, [...this.tables.values()]);
    await this.opts.log.createTopic(PG_QUARANTINE_TOPIC, { partitions: 1 });
    if (this.opts.transactionTopic !== false) {
      await this.opts.log.createTopic(transactionTopicFor(this.opts.topicPrefix), {
        partitions: 1,
      });
    }
    for (const t of this.tables.values()) {
      const topic = topicFor(this.opts.topicPrefix, t.schema, t.table);
      await this.opts.log.createTopic(topic, { partitions: this.opts.partitions ?? 1 });
      await this.schemaFor(topic, t);
    }
    const replication = await this.ensureSlot(sql);
    this.confirmed = parseLsn(this.cp.confirmedLsn ?? this.cp.consistentPoint!);
    this.state = 'running';
    this.running = this.run(replication).catch((err) => {
      this.state = 'failed';
      this.report(err);
    });
  }

  /**
   * Creates the slot with an exported snapshot, or reuses it. Returns the replication connection
   * that holds the exported snapshot (null when reusing: the snapshot it exported is gone).
   */
  private async ensureSlot(
    sql: pg.Client,
  ): Promise<{ client: pg.Client; snapshotName: string } | null> {
    const found = await sql.query<{ confirmed: string | null; plugin: string; database: string }>(
      `SELECT confirmed_flush_lsn::text AS confirmed, plugin, database FROM pg_replication_slots WHERE slot_name = $1`,
      [this.slot],
    );
    const slot = found.rows[0];
    if (slot && (slot.plugin !== 'pgoutput' || slot.database !== this.db)) {
      throw new CaptureSetupError(
        `replication slot "${this.slot}" exists for plugin ${slot.plugin} in database ${slot.database}; choose another slot name`,
      );
    }
    if (slot && this.cp.consistentPoint) return null;
    if (!slot && this.cp.consistentPoint) {
      throw new CaptureSetupError(
        `replication slot "${this.slot}" is gone but checkpoint ${this.opts.checkpointPath} streamed from it: changes after ${this.cp.confirmedLsn ?? this.cp.consistentPoint} were not kept by the server; delete the checkpoint to snapshot again`,
      );
    }
    if (slot) {
      // A slot with no checkpoint that names it: a crash between creating it and saving the
      // checkpoint. Nothing was captured from it yet, so it is dropped and made again.
      if (this.hadCheckpoint && this.cp.consistentPoint === null) {
        await sql.query(`SELECT pg_drop_replication_slot($1)`, [this.slot]);
      } else {
        throw new CaptureSetupError(
          `replication slot "${this.slot}" exists but there is no checkpoint at ${this.opts.checkpointPath}; restore the checkpoint, or drop the slot (SELECT pg_drop_replication_slot('${this.slot}')) to snapshot again`,
        );
      }
    }
    // Saved before the slot exists, so a crash right after creating it is recognised above.
    await this.save();
    const client = await connectReplication({ ...this.opts.connection, options: SESSION_OPTIONS });
    client.on('error', (err) => this.report(err));
    const created = await client.query<{ consistent_point: string; snapshot_name: string }>(
      `CREATE_REPLICATION_SLOT ${quoteIdent(this.slot)} LOGICAL pgoutput EXPORT_SNAPSHOT`,
    );
    const row = created.rows[0]!;
    this.cp.consistentPoint = row.consistent_point;
    await this.save();
    this.opts.onProgress?.(
      `${this.name}: created replication slot ${this.slot} at ${row.consistent_point}`,
    );
    return { client, snapshotName: row.snapshot_name };
  }

  private async run(
    replication: { client: pg.Client; snapshotName: string } | null,
  ): Promise<void> {
    let snapshotName = replication?.snapshotName ?? null;
    try {
      while (!this.cp.snapshot.done && !this.stopping) {
        try {
          await this.snapshot(snapshotName);
        } catch (err) {
          // Lost connection mid-snapshot: resume from the last saved chunk. The exported snapshot
          // may be gone with it, so the rest is read from a new one (see snapshot()).
          if (this.stopping) return;
          this.report(err);
          this.dropSql();
          snapshotName = null;
          await new Promise((r) => setTimeout(r, this.opts.reconnectDelayMs ?? 1000));
        }
      }
    } finally {
      // The exported snapshot lives as long as the connection that made the slot; done with it.
      await replication?.client.end().catch(() => undefined);
    }
    if (this.stopping) return;
    this.startHeartbeat();
    while (!this.stopping) {
      try {
        await this.streamOnce();
      } catch (err) {
        if (this.stopping) break;
        this.report(err);
        this.dropSql();
        await new Promise((r) => setTimeout(r, this.opts.reconnectDelayMs ?? 1000));
      }
    }
  }

  // ---- snapshot ------------------------------------------------------------------------------

  /**
   * Reads every table in primary-key chunks inside one REPEATABLE READ transaction on the slot's
   * exported snapshot, so the rows are exactly the state at the slot's consistent point. After a
   * restart mid-snapshot that snapshot is gone: the remaining chunks are read from a new one, and
   * rows changed meanwhile show their newer state in the snapshot *and* their changes in the
   * stream (still converging to the right state, nothing lost; see docs/cdc-postgres.md).
   */
  private async snapshot(snapshotName: string | null): Promise<void> {
    const sql = await this.sqlClient();
    await sql.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      if (snapshotName) await sql.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshotName)}`);
      else {
        this.opts.onProgress?.(
          `${this.name}: resuming the snapshot after a restart, from a new database snapshot`,
        );
      }
      const chunk = this.opts.snapshotChunkSize ?? 10_000;
      const tables = [...this.tables.values()];
      for (let ti = 0; ti < tables.length; ti++) {
        const t = tables[ti]!;
        const name = qualifiedName(t);
        const progress = (this.cp.snapshot.tables[name] ??= {
          done: false,
          lastKey: null,
          rows: 0,
        });
        const topic = topicFor(this.opts.topicPrefix, t.schema, t.table);
        const rel = await this.schemaFor(topic, t);
        while (!progress.done) {
          if (this.stopping) return;
          const { rows, more } = await readSnapshotChunk(sql, t, progress.lastKey, chunk);
          const records = new Map<string, LogRecord[]>();
          for (let i = 0; i < rows.length; i++) {
            const isLast = !more && ti === tables.length - 1 && i === rows.length - 1;
            const r = rows[i]!;
            let after: Row;
            const key = r.key;
            const id = snapshotEventId(this.slot, name, keyJson(key));
            try {
              after = r.row();
            } catch (err) {
              this.quarantine(records, topic, keyJson(key), id, err, { table: name, key });
              continue;
            }
            const event: ChangeEvent = {
              before: null,
              after,
              source: this.sourceBlock(
                t,
                isLast ? 'last' : 'true',
                Date.now(),
                null,
                this.cp.consistentPoint!,
                null,
              ),
              op: 'r',
              ts_ms: Date.now(),
              transaction: null,
            };
            await this.addEvent(records, rel, keyJson(key), event, id);
          }
          await this.appendAll(records);
          if (rows.length > 0) progress.lastKey = rows[rows.length - 1]!.keyValues;
          progress.rows += rows.length;
          this.snapshotRows += rows.length;
          progress.done = !more;
          await this.save();
        }
      }
      this.cp.snapshot.done = true;
      await this.save();
      this.opts.onProgress?.(`${this.name}: snapshot done (${this.snapshotRows} rows this run)`);
    } finally {
      await sql.query('COMMIT').catch(() => undefined);
    }
  }

  // ---- stream --------------------------------------------------------------------------------

  private async streamOnce(): Promise<void> {
    const client = await connectReplication({ ...this.opts.connection, options: SESSION_OPTIONS });
    client.on('error', () => undefined); // reported through the stream's `done`
    this.relations.clear();
    this.txn = null;
    const stream = new ReplicationStream(client, this.slot, this.confirmed, this.publication, {
      onData: (walStart, _walEnd, payload) => this.enqueue({ kind: 'data', walStart, payload }),
      onKeepalive: (walEnd) => this.enqueue({ kind: 'keepalive', walEnd }),
    });
    this.stream = stream;
    this.paused = false;
    try {
      await stream.done;
      if (!this.stopping) throw new Error(`the server ended replication of slot ${this.slot}`);
    } finally {
      this.stream = null;
      await stream.close();
      // What was received but not committed is sent again from the confirmed position.
      while (this.draining) await this.draining;
      this.queue = [];
      this.dropUncommitted();
      while (this.flushing) await this.flushing;
    }
  }

  /** Forgets the open transaction's records not yet appended (the server sends it again). */
  private dropUncommitted(): void {
    if (!this.txn) return;
    this.txn = null;
    if (this.pendingConfirm === null) {
      this.pending = new Map();
      this.pendingCount = 0;
    }
    // Records of complete transactions stay pending; an open transaction's records are after
    // them in `pending` only when no flush happened in between, which `pendingConfirm` tracks.
  }

  private enqueue(item: PostgresCdcSource['queue'][number]): void {
    this.queue.push(item);
    if (
      !this.paused &&
      this.queue.length + this.pendingCount > (this.opts.maxBatchRecords ?? 20_000) * 4
    ) {
      this.paused = true;
      this.stream?.pause();
    }
    if (!this.draining) {
      this.draining = this.drain().finally(() => (this.draining = null));
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const item = this.queue.shift()!;
      try {
        if (item.kind === 'keepalive') this.onKeepalive(item.walEnd);
        else await this.onMessage(item.walStart, decodePgOutput(item.payload));
      } catch (err) {
        // A message the source cannot handle at all (not a bad row: those go to quarantine) stops
        // the stream; it restarts from the confirmed position after the reconnect delay.
        this.report(err);
        this.queue = [];
        await this.stream?.close();
        return;
      }
      if (
        this.paused &&
        this.queue.length + this.pendingCount < (this.opts.maxBatchRecords ?? 20_000)
      ) {
        this.paused = false;
        this.stream?.resume();
      }
    }
  }

  private onKeepalive(walEnd: Lsn): void {
    // Everything before `walEnd` was sent and handled; with nothing open or pending, that WAL holds
    // no captured change, so the slot may move past it (the heartbeat that keeps WAL from piling up).
    if (this.txn || this.pendingCount > 0 || this.pendingConfirm !== null) return;
    if (this.flushing || this.inflight) return;
    if (walEnd > this.confirmed) {
      this.confirmed = walEnd;
      this.cp.confirmedLsn = formatLsn(walEnd);
      this.stream?.sendStatus(walEnd);
    }
  }

  private async onMessage(walStart: Lsn, msg: PgOutputMessage): Promise<void> {
    switch (msg.tag) {
      case 'begin':
        this.txn = {
          xid: msg.xid,
          commitLsn: msg.finalLsn,
          commitMs: pgTimeToMillis(msg.commitTimeMicros),
          n: 0,
          perTable: new Map(),
        };
        if (this.opts.transactionTopic !== false) {
          this.addTxnEvent(this.txn, 'BEGIN', {
            status: 'BEGIN',
            id: txnIdOf(this.txn),
            event_count: null,
            data_collections: null,
            ts_ms: this.txn.commitMs,
          });
        }
        return;
      case 'commit': {
        const txn = this.txn;
        this.txn = null;
        if (txn && this.opts.transactionTopic !== false) {
          this.addTxnEvent(txn, 'END', {
            status: 'END',
            id: txnIdOf(txn),
            event_count: txn.n,
            data_collections: [...txn.perTable].map(([data_collection, event_count]) => ({
              data_collection,
              event_count,
            })),
            ts_ms: txn.commitMs,
          });
        }
        this.pendingConfirm = msg.endLsn;
        this.flush();
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
          const rel = this.relationOf(id);
          await this.emitChange(rel, walStart, 't', null, null, null);
        }
        return;
      default:
        return; // type, origin and logical messages carry nothing to capture
    }
  }

  /** Debezium's transaction metadata event (BEGIN or END) in `<prefix>.transaction`. */
  private addTxnEvent(txn: OpenTransaction, status: 'BEGIN' | 'END', value: unknown): void {
    this.push(transactionTopicFor(this.opts.topicPrefix), {
      key: JSON.stringify({ id: txnIdOf(txn) }),
      value: Buffer.from(JSON.stringify(value)),
      headers: {
        'freshet.source': this.name,
        'freshet.event-id': `pg:${this.slot}:${formatLsn(txn.commitLsn)}:${status.toLowerCase()}`,
        'freshet.txn': status,
      },
    });
  }

  private relationOf(id: number): Relation {
    const rel = this.relations.get(id);
    if (!rel) {
      throw new Error(
        `pgoutput sent a change for relation ${id} before its Relation message; this is a protocol error, reconnecting`,
      );
    }
    return rel;
  }

  /** A Relation message: the table's current shape. A new shape registers a new schema version. */
  private async onRelation(msg: Extract<PgOutputMessage, { tag: 'relation' }>): Promise<void> {
    const name = `${msg.schema}.${msg.table}`;
    const captured = this.tables.get(name);
    if (!captured) {
      throw new Error(
        `pgoutput sent relation ${name}, which this source does not capture; is publication ${this.publication} shared with another source?`,
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
    const topic = topicFor(this.opts.topicPrefix, msg.schema, msg.table);
    const rel = await this.schemaFor(topic, model);
    this.relations.set(msg.relationId, { ...rel, captured });
  }

  /** Registers the model's envelope schema (once per shape) and tells whether it is the latest. */
  private async schemaFor(topic: string, model: TableModel): Promise<Relation> {
    const subject = subjectForTopic(topic);
    const schema = envelopeSchema(model);
    let known = this.schemaIds.get(subject);
    if (!known) this.schemaIds.set(subject, (known = new Map()));
    let entry = known.get(schema);
    if (!entry) {
      const level =
        this.opts.schemaCompatibility === undefined ? 'NONE' : this.opts.schemaCompatibility;
      if (level && (await this.opts.registry.getCompatibility(subject)) === null) {
        await this.opts.registry.setCompatibility(level, subject);
      }
      const registered = await this.opts.registry.register(subject, { schemaType: 'JSON', schema });
      const latest = await this.opts.registry.latest(subject);
      for (const e of known.values()) e.latest = false;
      entry = { id: registered.id, latest: latest?.id === registered.id };
      known.set(schema, entry);
      if (registered.version > 1 && entry.latest) {
        this.opts.onProgress?.(
          `${this.name}: ${qualifiedName(model)} changed shape; ${subject} version ${registered.version}`,
        );
      }
    }
    const captured = this.tables.get(qualifiedName(model))!;
    return { model, captured, topic, subject, schemaId: entry.id, validate: entry.latest };
  }

  private async onRow(
    walStart: Lsn,
    msg: Extract<PgOutputMessage, { tag: 'insert' | 'update' | 'delete' }>,
  ): Promise<void> {
    const rel = this.relationOf(msg.relationId);
    let before: Row | null = null;
    let after: Row | null = null;
    try {
      if (msg.tag === 'insert') after = tupleToRow(rel.model, msg.newTuple);
      else if (msg.tag === 'update') {
        after = tupleToRow(rel.model, msg.newTuple);
        // Old row: the whole row under REPLICA IDENTITY FULL ('O'), else the old key when the key
        // changed ('K'), else nothing: Debezium writes null then too.
        if (msg.oldTuple) {
          const old = tupleToRow(rel.model, msg.oldTuple);
          before = msg.oldKind === 'full' ? old : keyOf(rel.model, old);
          // Under FULL the old row carries the TOASTed values the new row leaves out ('u'):
          // the only case where the unchanged value is known, so it is filled in.
          if (msg.oldKind === 'full') {
            for (const [k, v] of Object.entries(after)) {
              if (v === UNAVAILABLE_VALUE && old[k] !== UNAVAILABLE_VALUE) after[k] = old[k]!;
            }
          }
        }
      } else {
        const old = tupleToRow(rel.model, msg.oldTuple);
        before = msg.oldKind === 'full' ? old : { ...nulls(rel.model), ...keyOf(rel.model, old) };
      }
    } catch (err) {
      if (!(err instanceof ValueConversionError)) throw err;
      const n = this.nextN(rel);
      const id = streamEventId(this.slot, this.txn!.commitLsn, n);
      const records = new Map<string, LogRecord[]>();
      this.quarantine(records, rel.topic, null, id, err, {
        table: qualifiedName(rel.model),
        op: msg.tag,
        lsn: formatLsn(walStart),
      });
      for (const [topic, list] of records) for (const r of list) this.push(topic, r);
      return;
    }
    const op: Op = msg.tag === 'insert' ? 'c' : msg.tag === 'update' ? 'u' : 'd';
    const key = keyOf(rel.model, (after ?? before)!);
    if (op === 'u' && before && keyJson(keyOf(rel.model, before)) !== keyJson(key)) {
      // The primary key changed: as Debezium, a delete (and tombstone) under the old key, then a
      // create under the new one, so each key's partition tells that key's whole story.
      const oldKey = keyOf(rel.model, before);
      const gone =
        msg.tag === 'update' && msg.oldKind === 'full'
          ? before
          : { ...nulls(rel.model), ...oldKey };
      await this.emitChange(rel, walStart, 'd', gone, null, oldKey);
      await this.emitChange(rel, walStart, 'c', null, after, key);
      return;
    }
    await this.emitChange(rel, walStart, op, before, after, key);
  }

  private nextN(rel: Relation): number {
    const txn = this.txn;
    if (!txn)
      throw new Error('pgoutput sent a change outside a transaction (no Begin); reconnecting');
    txn.n++;
    const name = qualifiedName(rel.model);
    txn.perTable.set(name, (txn.perTable.get(name) ?? 0) + 1);
    return txn.n;
  }

  private async emitChange(
    rel: Relation,
    walStart: Lsn,
    op: Op,
    before: Row | null,
    after: Row | null,
    key: Row | null,
  ): Promise<void> {
    const txn = this.txn!;
    const n = this.nextN(rel);
    const event: ChangeEvent = {
      before,
      after,
      source: this.sourceBlock(
        rel.model,
        'false',
        txn.commitMs,
        txn.xid,
        formatLsn(walStart),
        formatLsn(txn.commitLsn),
      ),
      op,
      ts_ms: Date.now(),
      transaction: {
        id: txnIdOf(txn),
        total_order: n,
        data_collection_order: txn.perTable.get(qualifiedName(rel.model))!,
      },
    };
    const id = streamEventId(this.slot, txn.commitLsn, n);
    const records = new Map<string, LogRecord[]>();
    const k = key ? keyJson(key) : null;
    await this.addEvent(records, rel, k, event, id);
    if (op === 'd' && k !== null) {
      // Debezium's tombstone: the key with no value, so a compacted topic forgets the row. The
      // log holds buffers, so "no value" is an empty one, marked by a header.
      records.get(rel.topic)?.push({
        key: k,
        value: Buffer.alloc(0),
        headers: {
          'freshet.source': this.name,
          'freshet.event-id': `${id}:tombstone`,
          'freshet.tombstone': 'true',
        },
      });
    }
    for (const [topic, list] of records) for (const r of list) this.push(topic, r);
  }

  private sourceBlock(
    t: { schema: string; table: string },
    snapshot: SourceBlock['snapshot'],
    tsMs: number,
    txId: number | null,
    lsn: string,
    commitLsn: string | null,
  ): SourceBlock {
    const lsnNum = Number(parseLsn(lsn));
    return {
      version: CONNECTOR_VERSION,
      connector: 'postgresql',
      name: this.opts.topicPrefix,
      ts_ms: tsMs,
      snapshot,
      db: this.db,
      // Debezium: [last committed LSN, this event's LSN] as strings, for ordering and dedupe.
      sequence: JSON.stringify([
        commitLsn === null ? null : String(Number(parseLsn(commitLsn))),
        String(lsnNum),
      ]),
      schema: t.schema,
      table: t.table,
      txId,
      lsn: lsnNum,
      xmin: null,
    };
  }

  /** Validates an event against its table's schema and adds it (or its quarantine record). */
  private async addEvent(
    records: Map<string, LogRecord[]>,
    rel: Relation,
    key: string | null,
    event: ChangeEvent,
    id: string,
  ): Promise<void> {
    if (rel.validate) {
      const verdict = await this.opts.registry.validate(rel.subject, event);
      if (!verdict.ok) {
        this.quarantine(records, rel.topic, key, id, new Error(verdict.errors.join('; ')), event);
        return;
      }
    }
    const value = Buffer.from(JSON.stringify(event));
    const list = records.get(rel.topic) ?? [];
    list.push({
      key,
      value: this.opts.wireFormat ? encodeWire(rel.schemaId, value) : value,
      headers: {
        'freshet.source': this.name,
        'freshet.event-id': id,
        'freshet.schema-id': String(rel.schemaId),
      },
      timestamp: event.source.ts_ms,
    });
    records.set(rel.topic, list);
  }

  private quarantine(
    records: Map<string, LogRecord[]>,
    topic: string,
    key: string | null,
    id: string,
    err: unknown,
    value: unknown,
  ): void {
    this.rejected++;
    this.opts.metrics?.eventsRejected.inc({ topic });
    const reason = err instanceof Error ? err.message : String(err);
    const list = records.get(PG_QUARANTINE_TOPIC) ?? [];
    list.push({
      key,
      value: Buffer.from(JSON.stringify(value)),
      headers: {
        'freshet.source': this.name,
        'freshet.event-id': id,
        'freshet.topic': topic,
        'freshet.error': reason,
      },
    });
    records.set(PG_QUARANTINE_TOPIC, list);
  }

  private push(topic: string, record: LogRecord): void {
    const list = this.pending.get(topic);
    if (list) list.push(record);
    else this.pending.set(topic, [record]);
    this.pendingCount++;
    if (this.pendingCount >= (this.opts.maxBatchRecords ?? 20_000)) this.flush();
  }

  /** Starts a flush unless one runs; one that runs starts the next when it ends. */
  private flush(): void {
    if (this.flushing) return;
    if (this.pendingCount === 0 && this.pendingConfirm === null && !this.inflight) return;
    this.flushing = this.flushOnce()
      .catch((err) => this.report(err))
      .finally(() => {
        this.flushing = null;
        // More arrived meanwhile (or a failed append is retried after a pause).
        if (this.pendingCount > 0 || this.pendingConfirm !== null || this.inflight) {
          setTimeout(() => this.flush(), this.lastFlushFailed ? 500 : 0);
        }
      });
  }

  private lastFlushFailed = false;
  private inflight: {
    records: Map<string, LogRecord[]>;
    count: number;
    confirm: Lsn | null;
  } | null = null;

  /**
   * Appends what is pending, then confirms the last complete transaction's end LSN: saved in the
   * checkpoint, then sent to the server. A failed append keeps its batch and is retried as it is
   * (topics already appended are not appended again), so the confirmed LSN never passes a loss.
   */
  private async flushOnce(): Promise<void> {
    if (!this.inflight) {
      // Records of an open transaction may ride along (memory stays bounded on huge ones); the
      // confirm LSN is that of the last *complete* transaction in the batch.
      this.inflight = {
        records: this.pending,
        count: this.pendingCount,
        confirm: this.pendingConfirm,
      };
      this.pending = new Map();
      this.pendingCount = 0;
      this.pendingConfirm = null;
    }
    const batch = this.inflight;
    this.lastFlushFailed = true;
    await this.appendAll(batch.records);
    this.lastFlushFailed = false;
    this.inflight = null;
    if (this.killed) return; // a crashed process confirms nothing more
    if (batch.confirm !== null && batch.confirm > this.confirmed) {
      this.confirmed = batch.confirm;
      this.cp.confirmedLsn = formatLsn(batch.confirm);
      await this.save();
      this.stream?.sendStatus(batch.confirm);
    }
    if (
      this.paused &&
      this.queue.length + this.pendingCount < (this.opts.maxBatchRecords ?? 20_000)
    ) {
      this.paused = false;
      this.stream?.resume();
    }
  }

  private async appendAll(records: Map<string, LogRecord[]>): Promise<void> {
    const started = performance.now();
    const results = await Promise.allSettled(
      [...records].map(async ([topic, list]) => {
        await this.opts.log.append(topic, list);
        records.delete(topic);
        if (topic === PG_QUARANTINE_TOPIC) return;
        this.accepted += list.length;
        this.opts.metrics?.eventsAccepted.inc({ topic }, list.length);
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    this.opts.metrics?.logAppendSeconds.observe((performance.now() - started) / 1000);
  }

  // ---- heartbeat and lag ---------------------------------------------------------------------

  private startHeartbeat(): void {
    const every = this.opts.heartbeatIntervalMs ?? 10_000;
    const beat = async () => {
      try {
        // Asks the server for a keepalive with its current WAL end; onKeepalive confirms it when
        // nothing captured is pending. The emitted message makes WAL move in this database even
        // when only other databases write, as Debezium's heartbeat action query does.
        this.stream?.sendStatus(this.confirmed, true);
        const sql = await this.sqlClient();
        await sql.query(`SELECT pg_logical_emit_message(false, 'freshet.heartbeat', '')`);
        await this.refreshSlotLag();
      } catch (err) {
        this.dropSql();
        if (!this.stopping) this.report(err);
      }
    };
    this.heartbeat = setInterval(() => void beat(), every);
    this.heartbeat.unref();
  }

  /** Queries the slot's lag: WAL bytes between the server's current position and the confirmed one. */
  async refreshSlotLag(): Promise<number | null> {
    const sql = await this.sqlClient();
    const r = await sql.query<{ lag: string | null }>(
      `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text AS lag FROM pg_replication_slots WHERE slot_name = $1`,
      [this.slot],
    );
    const lag = r.rows[0]?.lag;
    this.slotLagBytes = lag == null ? null : Number(lag);
    return this.slotLagBytes;
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /**
   * Stops after the events received so far are durable and confirmed; an open transaction's
   * events are sent again by the server on the next start (with the same ids).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.stream?.pause();
    while (this.draining) await this.draining;
    this.dropUncommitted();
    this.flush();
    while (this.flushing) await this.flushing;
    if (this.stream) this.stream.sendStatus(this.confirmed);
    await this.stream?.close();
    await this.running;
    if (this.state === 'running') this.state = 'stopped';
    if (this.cp) await this.save().catch((err) => this.report(err));
    this.dropSql();
  }

  /**
   * Ends at once without waiting, flushing or saving, as a crash would (tests): what was appended
   * but not confirmed is sent again by the server on the next start, with the same event ids.
   */
  async kill(): Promise<void> {
    this.stopping = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.queue = [];
    this.pending = new Map();
    this.pendingCount = 0;
    this.pendingConfirm = null;
    this.inflight = null;
    this.killed = true;
    await this.stream?.close();
    this.dropSql();
    this.state = 'stopped';
  }

  private killed = false;
  private hadCheckpoint = false;

  /** Saves the checkpoint, except after kill() (a crashed process saves nothing). */
  private async save(): Promise<void> {
    if (!this.killed) await saveCheckpoint(this.opts.checkpointPath, this.cp);
  }

  status(): PostgresCdcStatus {
    return {
      name: this.name,
      state: this.state,
      eventsAccepted: this.accepted,
      eventsRejected: this.rejected,
      position: Number(this.confirmed),
      lastError: this.lastError,
      confirmedLsn: this.cp?.confirmedLsn ?? this.cp?.consistentPoint ?? null,
      slotLagBytes: this.slotLagBytes,
      snapshot: { done: this.cp?.snapshot.done ?? false, rows: this.snapshotRows },
    };
  }
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
