// PostgreSQL change data capture: a consistent snapshot exported from a logical replication slot,
// then the slot's pgoutput stream from the snapshot's consistent point (no gap, no overlap), as
// Debezium-envelope events in one topic per table. Positions are confirmed to the server only once
// the events before them are durable in the log (invariant 3).
//
// This file holds the lifecycle: setting up (publication, slot, topics, schemas), the snapshot then
// the stream, reconnecting, heartbeats, stop and status. The parts: snapshot-runner.ts (snapshot),
// change-decoder.ts (messages → events), event-records.ts (schemas, validation, quarantine),
// confirming-batcher.ts (appends and what may be confirmed), replication-stream.ts (the wire).

import pg from 'pg';
import type { Log, LogRecord } from '../../log/index.js';
import type { Metrics } from '../../observe/index.js';
import type { CompatibilityLevel, SchemaRegistry } from '../../registry/index.js';
import type { Source, SourceStatus } from '../source.js';
import {
  CaptureSetupError,
  describeTable,
  ensurePublication,
  type CapturedTable,
} from './catalog.js';
import { ChangeDecoder } from './change-decoder.js';
import { loadCheckpoint, saveCheckpoint, type PgCheckpoint } from './checkpoint.js';
import { ConfirmingBatcher } from './confirming-batcher.js';
import { topicFor, transactionTopicFor } from './envelope.js';
import { EventRecords, PG_QUARANTINE_TOPIC } from './event-records.js';
import { formatLsn, parseLsn, type Lsn } from './lsn.js';
import { decodePgOutput } from './pgoutput.js';
import { connectReplication, quoteIdent, ReplicationStream } from './replication-stream.js';
import { runSnapshot } from './snapshot-runner.js';
import { qualifiedName } from './table-model.js';

export { PG_QUARANTINE_TOPIC };

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

export interface PostgresCdcStatus extends SourceStatus {
  /** The last LSN confirmed to the server ("X/Y"), i.e. durable in the log. */
  confirmedLsn: string | null;
  /** WAL bytes the server keeps for this slot (current WAL position − confirmed); null before known. */
  slotLagBytes: number | null;
  snapshot: { done: boolean; rows: number };
}

type StreamItem =
  { kind: 'data'; walStart: Lsn; payload: Buffer } | { kind: 'keepalive'; walEnd: Lsn };

export class PostgresCdcSource implements Source {
  readonly name: string;
  private readonly slot: string;
  private readonly publication: string;
  private readonly maxBatch: number;
  private readonly tables = new Map<string, CapturedTable>();
  private readonly records: EventRecords;
  private readonly batcher: ConfirmingBatcher;
  private readonly decoder: ChangeDecoder;
  private cp!: PgCheckpoint;
  private hadCheckpoint = false;
  private sql: pg.Client | null = null;
  private stream: ReplicationStream | null = null;
  private state: SourceStatus['state'] = 'idle';
  private stopping = false;
  private killed = false;
  private accepted = 0;
  private snapshotRows = 0;
  private lastError: string | null = null;
  private slotLagBytes: number | null = null;
  private confirmed: Lsn = 0n;
  private running: Promise<void> | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  // The stream's messages queue here and are handled one at a time, in order; the socket is
  // paused while too much waits (here or in the batcher), so memory stays bounded.
  private queue: StreamItem[] = [];
  private draining: Promise<void> | null = null;
  private paused = false;

  constructor(private readonly opts: PostgresCdcSourceOptions) {
    this.name = opts.name ?? 'postgres';
    const base = `freshet_${opts.topicPrefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`;
    this.slot = opts.slot ?? base;
    this.publication = opts.publication ?? base;
    this.maxBatch = opts.maxBatchRecords ?? 20_000;
    if (!/^[a-z0-9_]{1,63}$/.test(this.slot)) {
      throw new CaptureSetupError(
        `replication slot name "${this.slot}" is not valid: PostgreSQL allows lower-case letters, digits and _ (at most 63)`,
      );
    }
    this.records = new EventRecords({
      sourceName: this.name,
      registry: opts.registry,
      metrics: opts.metrics,
      schemaCompatibility:
        opts.schemaCompatibility === undefined ? 'NONE' : opts.schemaCompatibility,
      wireFormat: opts.wireFormat ?? false,
      onProgress: opts.onProgress,
    });
    this.batcher = new ConfirmingBatcher({
      maxBatchRecords: this.maxBatch,
      append: (records) => this.appendAll(records),
      onDurable: (lsn) => this.confirm(lsn, true),
      onError: (err) => this.report(err),
      onFlushed: () => this.maybeResume(),
    });
    this.decoder = new ChangeDecoder({
      slot: this.slot,
      prefix: opts.topicPrefix,
      db: this.db,
      sourceName: this.name,
      tables: this.tables,
      publication: this.publication,
      records: this.records,
      transactionTopic: opts.transactionTopic !== false,
      emit: (records) => {
        for (const [topic, list] of records) for (const r of list) this.batcher.push(topic, r);
      },
      commit: (endLsn) => this.batcher.commit(endLsn),
    });
  }

  private get db(): string {
    return this.opts.connection.database ?? this.opts.connection.user ?? 'postgres';
  }

  /** The SQL connection (catalog, snapshot, heartbeat), made again after the server went away. */
  private async sqlClient(): Promise<pg.Client> {
    if (!this.sql) {
      const client = new pg.Client({ ...this.opts.connection, options: SESSION_OPTIONS });
      client.on('error', (err) => this.report(err));
      await client.connect();
      this.sql = client;
    }
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

  private pause(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }

  // ---- setting up ----------------------------------------------------------------------------

  /** Returns once the slot exists (created with its snapshot, or reused); the rest runs on. */
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
      await this.records.shape(topic, t);
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
          await runSnapshot({
            sql: await this.sqlClient(),
            snapshotName,
            tables: [...this.tables.values()],
            checkpoint: this.cp,
            slot: this.slot,
            prefix: this.opts.topicPrefix,
            db: this.db,
            chunkSize: this.opts.snapshotChunkSize ?? 10_000,
            records: this.records,
            append: (records) => this.appendAll(records),
            save: () => this.save(),
            stopping: () => this.stopping,
            onRows: (n) => (this.snapshotRows += n),
            onProgress: (m) => this.opts.onProgress?.(`${this.name}: ${m}`),
          });
        } catch (err) {
          // Lost connection mid-snapshot: resume from the last saved chunk. The exported snapshot
          // may be gone with it, so the rest is read from a new one (see snapshot-runner.ts).
          if (this.stopping) return;
          this.report(err);
          this.dropSql();
          snapshotName = null;
          await this.pause(this.opts.reconnectDelayMs ?? 1000);
        }
      }
    } finally {
      // The exported snapshot lives as long as the connection that made the slot; done with it.
      await replication?.client.end().catch(() => undefined);
    }
    if (this.stopping) return;
    this.opts.onProgress?.(
      `${this.name}: snapshot done; streaming from ${this.cp.confirmedLsn ?? this.cp.consistentPoint}`,
    );
    this.startHeartbeat();
    while (!this.stopping) {
      try {
        await this.streamOnce();
      } catch (err) {
        if (this.stopping) break;
        this.report(err);
        this.dropSql();
        await this.pause(this.opts.reconnectDelayMs ?? 1000);
      }
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

  // ---- the stream ----------------------------------------------------------------------------

  private async streamOnce(): Promise<void> {
    const client = await connectReplication({ ...this.opts.connection, options: SESSION_OPTIONS });
    client.on('error', () => undefined); // reported through the stream's `done`
    this.decoder.reset();
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
      if (this.decoder.inTransaction) this.batcher.dropOpenTransaction();
      this.decoder.reset();
      await this.batcher.drain();
    }
  }

  private enqueue(item: StreamItem): void {
    this.queue.push(item);
    if (!this.paused && this.queue.length + this.batcher.backlog > this.maxBatch * 4) {
      this.paused = true;
      this.stream?.pause();
    }
    if (!this.draining) this.draining = this.drain().finally(() => (this.draining = null));
  }

  private maybeResume(): void {
    if (this.paused && this.queue.length + this.batcher.backlog < this.maxBatch) {
      this.paused = false;
      this.stream?.resume();
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const item = this.queue.shift()!;
      try {
        if (item.kind === 'keepalive') await this.onKeepalive(item.walEnd);
        else await this.decoder.handle(item.walStart, decodePgOutput(item.payload));
      } catch (err) {
        // A message the source cannot handle at all (not a bad row: those go to quarantine) ends
        // this connection; the stream restarts from the confirmed position after the delay.
        this.report(err);
        this.queue = [];
        await this.stream?.close();
        return;
      }
      this.maybeResume();
    }
  }

  /**
   * Everything before `walEnd` was sent and handled; with nothing open or pending, that WAL holds
   * no captured change, so the slot may move past it (what keeps WAL from piling up while the
   * captured tables are idle).
   */
  private async onKeepalive(walEnd: Lsn): Promise<void> {
    if (this.decoder.inTransaction || !this.batcher.idle) return;
    await this.confirm(walEnd, false);
  }

  /** Confirms `lsn` to the server (and, for captured changes, saves it first). */
  private async confirm(lsn: Lsn, save: boolean): Promise<void> {
    if (lsn <= this.confirmed || this.killed) return;
    this.confirmed = lsn;
    this.cp.confirmedLsn = formatLsn(lsn);
    if (save) await this.save();
    this.stream?.sendStatus(lsn);
  }

  // ---- heartbeat and lag ---------------------------------------------------------------------

  private startHeartbeat(): void {
    const every = this.opts.heartbeatIntervalMs ?? 10_000;
    let beating = false;
    let emit = true;
    const beat = async () => {
      if (beating) return; // a slow server must not pile up heartbeats
      beating = true;
      try {
        // Asks the server for a keepalive with its current WAL end; onKeepalive confirms it when
        // nothing captured is pending.
        this.stream?.sendStatus(this.confirmed, true);
        const sql = await this.sqlClient();
        if (emit) {
          // Makes WAL move in this database even when only other databases write, as Debezium's
          // heartbeat action query does. A role without the right keeps the keepalives only.
          await sql
            .query(`SELECT pg_logical_emit_message(false, 'freshet.heartbeat', '')`)
            .catch((err: { code?: string }) => {
              if (err.code !== '42501') throw err;
              emit = false;
              this.report(
                new Error(
                  `${this.name}: role may not call pg_logical_emit_message; heartbeats rely on keepalives only (grant REPLICATION to the role to have both)`,
                ),
              );
            });
        }
        await this.refreshSlotLag();
      } catch (err) {
        this.dropSql();
        if (!this.stopping) this.report(err);
      } finally {
        beating = false;
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
    if (this.decoder.inTransaction) this.batcher.dropOpenTransaction();
    await this.batcher.drain();
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
    this.killed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.queue = [];
    this.batcher.kill();
    await this.stream?.close();
    this.dropSql();
    this.state = 'stopped';
  }

  /** Saves the checkpoint, except after kill() (a crashed process saves nothing). */
  private async save(): Promise<void> {
    if (!this.killed) await saveCheckpoint(this.opts.checkpointPath, this.cp);
  }

  status(): PostgresCdcStatus {
    return {
      name: this.name,
      state: this.state,
      eventsAccepted: this.accepted,
      eventsRejected: this.records.rejected,
      position: Number(this.confirmed),
      lastError: this.lastError,
      confirmedLsn: this.cp?.confirmedLsn ?? this.cp?.consistentPoint ?? null,
      slotLagBytes: this.slotLagBytes,
      snapshot: { done: this.cp?.snapshot.done ?? false, rows: this.snapshotRows },
    };
  }
}
