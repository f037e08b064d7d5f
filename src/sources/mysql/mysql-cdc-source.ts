// MySQL / MariaDB change data capture: a consistent snapshot pinned to a binlog position, then the
// row-based binlog from exactly that position (no gap, no overlap), as Debezium-envelope events in
// one topic per table. The binlog position is saved only once the events before it are durable in
// the log (invariant 3); a restart resumes from it, and what is sent again carries the same ids.
//
// This file holds the lifecycle: checks and setup, the snapshot then the stream, reconnecting,
// heartbeat and lag, stop and status. The parts: snapshot-runner.ts, change-decoder.ts,
// binlog-stream.ts, and the PostgreSQL source's generic EventRecords and ConfirmingBatcher.

import { createHash } from 'node:crypto';
import type { AnyBinlogEvent } from '@vlasky/zongji';
import mysql, { type Connection } from 'mysql2/promise';
import type { ConnectionOptions } from 'mysql2';
import type { Log, LogRecord } from '../../log/index.js';
import type { Metrics } from '../../observe/index.js';
import type { CompatibilityLevel, SchemaRegistry } from '../../registry/index.js';
import type { Source, SourceStatus } from '../source.js';
import { ConfirmingBatcher } from '../postgres/confirming-batcher.js';
import { EventRecords, PG_QUARANTINE_TOPIC } from '../postgres/event-records.js';
import { BinlogStream } from './binlog-stream.js';
import {
  binlogHead,
  checkServer,
  describeTable,
  MysqlSetupError,
  type ServerInfo,
} from './catalog.js';
import { ChangeDecoder } from './change-decoder.js';
import { loadMysqlCheckpoint, saveMysqlCheckpoint, type MysqlCheckpoint } from './checkpoint.js';
import {
  comparePositions,
  formatPosition,
  topicFor,
  transactionTopicFor,
  type BinlogPosition,
} from './envelope.js';
import { openConsistentSnapshot, runSnapshot, type SnapshotLocking } from './snapshot-runner.js';
import { envelopeSchema, qualifiedName, type MysqlTable } from './table-model.js';

/** The same quarantine topic as every source: bad rows are kept there with the reason. */
export const MYSQL_QUARANTINE_TOPIC = PG_QUARANTINE_TOPIC;

export interface MysqlConnectionOptions {
  host: string;
  port?: number;
  user: string;
  /** A secret: take it from the environment or a file, never from freshet.yaml itself. */
  password?: string;
}

export interface MysqlCdcSourceOptions {
  /** The source's name (status, `freshet.source` header); default "mysql". */
  name?: string;
  connection: MysqlConnectionOptions;
  /** Debezium's topic.prefix: topics are `<prefix>.<db>.<table>`; also `source.name`. */
  topicPrefix: string;
  /** Captured tables as "db.table"; each needs a primary key. */
  tables: string[];
  log: Log;
  registry: SchemaRegistry;
  metrics?: Metrics;
  /** Where the source keeps its own position (a small JSON file, replaced atomically). */
  checkpointPath: string;
  /** The server id this client uses as a replica (unique among the server's replicas). */
  replicaServerId?: number;
  /** How the snapshot is pinned to a binlog position (default: 'none' on MariaDB, else 'global'). */
  snapshotLocking?: SnapshotLocking;
  partitions?: number;
  /** Rows per snapshot chunk (default 10,000); progress is saved after each. */
  snapshotChunkSize?: number;
  /** Heartbeat: refreshes the lag, checks the connection (default 10 s). */
  heartbeatIntervalMs?: number;
  /** Events gathered before an append even inside one transaction (default 20,000). */
  maxBatchRecords?: number;
  reconnectDelayMs?: number;
  /** Compatibility set on each subject before its first schema (default NONE, as PostgreSQL's). */
  schemaCompatibility?: CompatibilityLevel | null;
  /** Also write BEGIN/END events to `<prefix>.transaction` (default true). */
  transactionTopic?: boolean;
  wireFormat?: boolean;
  onError?: (err: unknown) => void;
  onProgress?: (message: string) => void;
}

export interface MysqlCdcStatus extends SourceStatus {
  /** "file:pos" after the last transaction durable in the log. */
  confirmedPosition: string | null;
  /** MariaDB GTID (domain-server-seq) of that transaction, when the server writes GTIDs. */
  confirmedGtid: string | null;
  /** Seconds the source is behind the binlog head (0 when caught up); null before known. */
  lagSeconds: number | null;
  snapshot: { done: boolean; rows: number };
}

export class MysqlCdcSource implements Source {
  readonly name: string;
  private readonly maxBatch: number;
  private readonly tables = new Map<string, MysqlTable>();
  private readonly records: EventRecords<MysqlTable>;
  private readonly batcher: ConfirmingBatcher<{ position: BinlogPosition; gtid: string | null }>;
  private decoder!: ChangeDecoder;
  private server!: ServerInfo;
  private cp!: MysqlCheckpoint;
  private sql: Connection | null = null;
  private stream: BinlogStream | null = null;
  private state: SourceStatus['state'] = 'idle';
  private stopping = false;
  private killed = false;
  private accepted = 0;
  private snapshotRows = 0;
  private lastError: string | null = null;
  private lagSeconds: number | null = null;
  private running: Promise<void> | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  // Binlog events queue here and are handled one at a time, in order; the connection is paused
  // while too much waits (here or in the batcher), so memory stays bounded.
  private queue: AnyBinlogEvent[] = [];
  private draining: Promise<void> | null = null;
  private paused = false;

  constructor(private readonly opts: MysqlCdcSourceOptions) {
    this.name = opts.name ?? 'mysql';
    this.maxBatch = opts.maxBatchRecords ?? 20_000;
    this.records = new EventRecords<MysqlTable>({
      sourceName: this.name,
      registry: opts.registry,
      metrics: opts.metrics,
      schemaCompatibility:
        opts.schemaCompatibility === undefined ? 'NONE' : opts.schemaCompatibility,
      wireFormat: opts.wireFormat ?? false,
      onProgress: opts.onProgress,
      envelopeSchema,
    });
    this.batcher = new ConfirmingBatcher({
      maxBatchRecords: this.maxBatch,
      append: (records) => this.appendAll(records),
      onDurable: (p) => this.confirm(p.position, p.gtid),
      onError: (err) => this.report(err),
      onFlushed: () => this.maybeResume(),
    });
  }

  /** mysql2 settings both connections share: values as exact strings, dates as text in UTC. */
  private get connectionOptions(): ConnectionOptions {
    const c = this.opts.connection;
    return {
      host: c.host,
      port: c.port ?? 3306,
      user: c.user,
      password: c.password,
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      timezone: 'Z',
    };
  }

  /** A stable replica id per source and checkpoint, so two sources never evict each other. */
  private get replicaServerId(): number {
    if (this.opts.replicaServerId) return this.opts.replicaServerId;
    const h = createHash('sha256').update(`${this.opts.topicPrefix}\0${this.opts.checkpointPath}`);
    return 100_000 + (h.digest().readUInt32BE(0) % 1_000_000_000);
  }

  private async sqlClient(): Promise<Connection> {
    if (!this.sql) {
      const c = await mysql.createConnection(this.connectionOptions);
      c.on('error', () => this.dropSql());
      await c.query("SET time_zone = '+00:00'");
      this.sql = c;
    }
    return this.sql;
  }

  private dropSql(): void {
    const c = this.sql;
    this.sql = null;
    c?.end().catch(() => c.destroy());
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

  /** Returns once the server is checked and the snapshot position is pinned; the rest runs on. */
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
    this.cp = (await loadMysqlCheckpoint(this.opts.checkpointPath)) ?? {
      version: 1,
      kind: 'mysql',
      snapshotPosition: null,
      snapshotGtid: null,
      snapshot: { done: false, tables: {} },
      confirmed: null,
      confirmedGtid: null,
    };
    const sql = await this.sqlClient();
    this.server = await checkServer(sql);
    for (const name of this.opts.tables) {
      const t = await describeTable(sql, name);
      this.tables.set(qualifiedName(t), t);
    }
    await this.opts.log.createTopic(MYSQL_QUARANTINE_TOPIC, { partitions: 1 });
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
    this.decoder = new ChangeDecoder({
      prefix: this.opts.topicPrefix,
      sourceName: this.name,
      tables: this.tables,
      records: this.records,
      transactionTopic: this.opts.transactionTopic !== false,
      serverId: this.server.serverId,
      describe: async (name) => describeTable(await this.sqlClient(), name),
      emit: (records) => {
        for (const [topic, list] of records) for (const r of list) this.batcher.push(topic, r);
      },
      commit: (position, gtid) => this.batcher.commit({ position, gtid }),
    });
    let consistent = false;
    if (!this.cp.snapshotPosition) {
      // A dedicated connection holds the snapshot transaction; the position is saved before any
      // row is read, so a crash mid-snapshot still streams from the right place.
      const snap = await mysql.createConnection(this.connectionOptions);
      await snap.query("SET time_zone = '+00:00'");
      const locking = this.opts.snapshotLocking ?? (this.server.mariadb ? 'none' : 'global');
      const at = await openConsistentSnapshot(snap, locking);
      this.cp.snapshotPosition = at.position;
      this.cp.snapshotGtid = at.gtid;
      await this.save();
      this.opts.onProgress?.(`${this.name}: snapshot at ${formatPosition(at.position)}`);
      this.dropSql();
      this.sql = snap;
      consistent = true;
    }
    this.state = 'running';
    this.running = this.run(consistent).catch((err) => {
      this.state = 'failed';
      this.report(err);
    });
  }

  private async run(consistent: boolean): Promise<void> {
    while (!this.cp.snapshot.done && !this.stopping) {
      try {
        await runSnapshot({
          sql: await this.sqlClient(),
          consistent,
          tables: [...this.tables.values()],
          checkpoint: this.cp,
          prefix: this.opts.topicPrefix,
          serverId: this.server.serverId,
          chunkSize: this.opts.snapshotChunkSize ?? 10_000,
          records: this.records,
          append: (records) => this.appendAll(records),
          save: () => this.save(),
          stopping: () => this.stopping,
          onRows: (n) => (this.snapshotRows += n),
          onProgress: (m) => this.opts.onProgress?.(`${this.name}: ${m}`),
        });
      } catch (err) {
        if (this.stopping) return;
        this.report(err);
        this.dropSql();
        consistent = false;
        await this.pause(this.opts.reconnectDelayMs ?? 1000);
      }
    }
    if (this.stopping) return;
    this.startHeartbeat();
    while (!this.stopping) {
      try {
        await this.streamOnce();
      } catch (err) {
        if (this.stopping) return;
        this.report(err);
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
        if (topic === MYSQL_QUARANTINE_TOPIC) return;
        this.accepted += list.length;
        this.opts.metrics?.eventsAccepted.inc({ topic }, list.length);
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    this.opts.metrics?.logAppendSeconds.observe((performance.now() - started) / 1000);
  }

  // ---- the stream ----------------------------------------------------------------------------

  private get resumeFrom(): BinlogPosition {
    return this.cp.confirmed ?? this.cp.snapshotPosition!;
  }

  private async streamOnce(): Promise<void> {
    this.decoder.reset();
    const byDb: Record<string, string[]> = {};
    for (const t of this.tables.values()) (byDb[t.schema] ??= []).push(t.table);
    const stream = new BinlogStream(
      this.connectionOptions,
      this.resumeFrom,
      this.replicaServerId,
      byDb,
      (e) => this.enqueue(e),
    );
    this.stream = stream;
    this.paused = false;
    try {
      await stream.done;
    } finally {
      this.stream = null;
      stream.close();
      // What was received but not committed is sent again from the confirmed position.
      while (this.draining) await this.draining;
      this.queue = [];
      if (this.decoder.inTransaction) this.batcher.dropOpenTransaction();
      this.decoder.reset();
      await this.batcher.drain();
    }
  }

  private enqueue(e: AnyBinlogEvent): void {
    this.queue.push(e);
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
      const e = this.queue.shift()!;
      try {
        await this.decoder.handle(e);
      } catch (err) {
        // An event the source cannot handle at all (bad rows go to quarantine instead) ends the
        // connection; the stream starts again from the confirmed position after the delay.
        this.report(err);
        this.queue = [];
        this.stream?.close();
        return;
      }
      this.maybeResume();
    }
  }

  /** Saves the position after a transaction whose events are all durable in the log. */
  private async confirm(position: BinlogPosition, gtid: string | null): Promise<void> {
    if (this.killed) return;
    if (this.cp.confirmed && comparePositions(position, this.cp.confirmed) <= 0) return;
    this.cp.confirmed = position;
    if (gtid) this.cp.confirmedGtid = gtid;
    await this.save();
  }

  // ---- heartbeat and lag ---------------------------------------------------------------------

  private startHeartbeat(): void {
    const every = this.opts.heartbeatIntervalMs ?? 10_000;
    let beating = false;
    const beat = async () => {
      if (beating) return;
      beating = true;
      try {
        await this.refreshLag();
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

  /**
   * Seconds behind the binlog head: 0 when everything up to the head is durable, else the age of
   * the last event handled (the binlog's own timestamp), as MySQL's Seconds_Behind_Master is.
   */
  async refreshLag(): Promise<number | null> {
    const head = await binlogHead(await this.sqlClient());
    const at = this.cp.confirmed ?? this.cp.snapshotPosition;
    if (at && comparePositions(at, head.position) >= 0 && this.batcher.idle) {
      this.lagSeconds = 0;
    } else if (this.decoder.lastEventMs !== null) {
      this.lagSeconds = Math.max(0, (Date.now() - this.decoder.lastEventMs) / 1000);
    } else {
      this.lagSeconds = null;
    }
    return this.lagSeconds;
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /** Stops after the events received so far are durable and their position saved. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.stream?.pause();
    while (this.draining) await this.draining;
    if (this.decoder?.inTransaction) this.batcher.dropOpenTransaction();
    await this.batcher.drain();
    this.stream?.close();
    await this.running;
    if (this.state === 'running') this.state = 'stopped';
    if (this.cp) await this.save().catch((err) => this.report(err));
    this.dropSql();
  }

  /** Ends at once without flushing or saving, as a crash would (tests). */
  async kill(): Promise<void> {
    this.stopping = true;
    this.killed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.queue = [];
    this.batcher.kill();
    this.stream?.close();
    this.dropSql();
    this.state = 'stopped';
    await Promise.resolve();
  }

  private async save(): Promise<void> {
    if (!this.killed) await saveMysqlCheckpoint(this.opts.checkpointPath, this.cp);
  }

  status(): MysqlCdcStatus {
    const at = this.cp?.confirmed ?? this.cp?.snapshotPosition ?? null;
    return {
      name: this.name,
      state: this.state,
      eventsAccepted: this.accepted,
      eventsRejected: this.records.rejected,
      position: at?.pos ?? 0,
      lastError: this.lastError,
      confirmedPosition: at ? formatPosition(at) : null,
      confirmedGtid: this.cp?.confirmedGtid ?? null,
      lagSeconds: this.lagSeconds,
      snapshot: { done: this.cp?.snapshot.done ?? false, rows: this.snapshotRows },
    };
  }
}

export { MysqlSetupError };
