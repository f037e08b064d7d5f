import { join } from 'node:path';
import type { FreshetConfig } from '../config/index.js';
import { compactTable, Session, type Connection } from '../engine/index.js';
import type { ObjectStore } from '../lake/index.js';
import {
  EmbeddedLog,
  KafkaLog,
  parseKafkaReaderUrl,
  parseKafkaUrl,
  type Log,
} from '../log/index.js';
import { DEFAULT_TARGET, ModelRunner } from '../models/index.js';
import { Metrics } from '../observe/index.js';
import { EmbeddedRegistry, ExternalRegistry, type SchemaRegistry } from '../registry/index.js';
import { istMidnight, TOPICS } from '../retail/index.js';
import {
  QUARANTINE_TOPIC,
  SimulatorSource,
  type Ingest,
  type Source,
  type SourceStatus,
} from '../sources/index.js';
import { BronzeThread, bronzeThreadAvailable, ThreadedBronzeWriter } from './bronze-thread.js';
import { BronzeWriter, type BronzeSink } from './bronze-writer.js';
import { openConfiguredSources } from './configured-sources.js';
import { sourceAlert, sourceLag } from './source-lag.js';
import { openLake, prepareDataDir, type Lake } from './data-dir.js';
import { Loop } from './loop.js';
import { ModelLoop } from './model-loop.js';
import { LOG_DIR, REGISTRY_DIR, SOURCES_DIR, TMP_DIR } from './names.js';

/** One table as the health endpoint reports it. */
export interface TableStatus {
  /** layer.table, e.g. gold.inventory_realtime */
  name: string;
  layer: string;
  /** Latest Delta version in the lake (-1 before the first commit). */
  version: number;
  /** Seconds since the newest event reflected in the served table was accepted by the log. */
  freshness_seconds: number | null;
  /** Same, for the table's copy in the lake (silver and gold are published on an interval). */
  lake_freshness_seconds: number | null;
}

export interface PlatformStatus {
  state: 'starting' | 'running' | 'stopping' | 'stopped';
  eventsPerSecond: number;
  eventsAccepted: number;
  eventsRejected: number;
  errors: number;
  lastError: string | null;
  goldFreshnessSeconds: number | null;
}

export type PlatformEvent =
  { type: 'run'; at: number } | { type: 'error'; stage: string; message: string };

/** How often the bronze loop looks for topics that appeared (sources create them as they go). */
const NEW_TOPIC_CHECK_MS = 2000;
/** How long a configured source that failed to start waits before trying again. */
const SOURCE_RETRY_MS = 5000;

const seconds = (ms: number | null, now: number) =>
  ms === null ? null : Math.max(0, (now - ms) / 1000);

/**
 * The running platform, in one process: source → log → bronze → models → serving tables, with
 * the lake as the source of truth. Each stage resumes from its own committed position, so a
 * restart (clean or after kill -9) neither loses nor duplicates an event.
 */
export class Platform {
  state: PlatformStatus['state'] = 'starting';
  private loops: Loop[] = [];
  private errors = 0;
  private lastError: string | null = null;
  private rate = { at: performance.now(), accepted: 0, perSecond: 0 };
  private listeners = new Set<(e: PlatformEvent) => void>();
  private lastPublish = 0;
  private topicsCheckedAt = 0;
  /** Why a configured source could not start, until it does. */
  private readonly startErrors = new Map<string, string>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private maintenanceConn: Connection | null = null;

  private constructor(
    readonly config: FreshetConfig,
    readonly dataDir: string,
    readonly log: Log,
    readonly registry: SchemaRegistry,
    readonly store: ObjectStore,
    readonly session: Session,
    readonly metrics: Metrics,
    readonly bronze: BronzeSink[],
    readonly models: ModelLoop,
    readonly runner: ModelRunner,
    /** The simulator, when it runs (the dashboard's "source"). */
    readonly source: Source | null,
    /** Every source: the simulator first, then those freshet.yaml declares. */
    readonly sources: Source[],
    /** Push endpoints of freshet.yaml's `http` sources, to mount at /ingest. */
    readonly ingest: Ingest | null,
    private readonly bronzeSet: BronzeSet,
  ) {}

  /** Opens (or creates) a data dir and rebuilds the serving tables from its lake. */
  static async open(
    config: FreshetConfig,
    opts: { onProgress?: (message: string) => void } = {},
  ): Promise<Platform> {
    const progress = opts.onProgress ?? (() => undefined);
    const dataDir = await prepareDataDir(config.dataDir, { create: true, lake: config.lakeUrl });
    const metrics = new Metrics();
    // The platform's own target (in-memory DuckDB), whatever profiles.yml a user keeps for dbt.
    const runner = await ModelRunner.open(config.projectDir, { target: DEFAULT_TARGET });
    const log: Log = config.log.url
      ? await KafkaLog.open({
          ...parseKafkaUrl(config.log.url),
          clientId: 'freshet',
          onError: (operation) => metrics.errors.inc({ stage: `kafka-${operation}` }),
        })
      : await EmbeddedLog.open(join(dataDir, LOG_DIR), { fsync: config.log.fsync });
    try {
      const registry: SchemaRegistry = config.registry.url
        ? new ExternalRegistry(config.registry.url)
        : await EmbeddedRegistry.open(join(dataDir, REGISTRY_DIR));
      const lake = await openLake(dataDir);
      const { store } = lake;
      const session = await Session.open();
      const source = config.simulator.enabled
        ? new SimulatorSource({
            log,
            registry,
            metrics,
            checkpointPath: join(dataDir, SOURCES_DIR, 'simulator.json'),
            seed: config.simulator.seed,
            stores: config.simulator.stores,
            skus: config.simulator.skus,
            rate: config.simulator.rate,
            partitions: config.log.partitions,
            maxEvents: config.simulator.maxEvents,
            faults: config.simulator.faults,
            ...(config.simulator.replay ? { replay: replayWindow(config.simulator.replay) } : {}),
            // On Kafka, events travel in Confluent's wire format, as other producers send them.
            wireFormat: config.log.url !== undefined,
            onProgress: progress,
          })
        : null;
      // Topics exist before the bronze writers open: every retail topic gets a bronze table,
      // even before its first event, so models that read it compile.
      for (const t of TOPICS) await log.createTopic(t.topic, { partitions: config.log.partitions });
      await log.createTopic(QUARANTINE_TOPIC, { partitions: 1 });
      const bronzeSet = await openBronze(config, dataDir, lake, log, session, metrics);
      const { bronze } = bronzeSet;
      const configured = await openConfiguredSources({
        config,
        dataDir,
        log,
        registry,
        metrics,
        onError: (name) => metrics.errors.inc({ stage: `source-${name}` }),
        onProgress: progress,
      });
      const models = new ModelLoop(
        session.connection,
        store,
        runner,
        bronze,
        join(dataDir, TMP_DIR),
        metrics,
      );
      progress('rebuilding the serving tables from the lake…');
      await models.restore(progress);
      return new Platform(
        config,
        dataDir,
        log,
        registry,
        store,
        session,
        metrics,
        bronze,
        models,
        runner,
        source,
        [...(source ? [source] : []), ...configured.sources],
        configured.ingest,
        bronzeSet,
      );
    } catch (err) {
      await log.close().catch(() => undefined);
      throw err;
    }
  }

  on(listener: (e: PlatformEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: PlatformEvent): void {
    for (const l of this.listeners) l(e);
  }

  private failure(stage: string) {
    return (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      this.errors++;
      this.lastError = `${stage}: ${message}`;
      this.metrics.errors.inc({ stage });
      this.emit({ type: 'error', stage, message });
    };
  }

  /** Starts the source and the stage loops. */
  async start(): Promise<void> {
    const p = this.config.pipeline;
    this.loops = [
      // Fixed rate: under a backlog, bronze commits back to back instead of idling in between.
      new Loop(
        'bronze',
        p.bronzeIntervalMs,
        () => this.writeBronze(),
        this.failure('bronze'),
        0,
        true,
      ),
      new Loop('models', p.modelIntervalMs, () => this.transform(), this.failure('models')),
    ];
    if (p.compactIntervalMs > 0) {
      this.maintenanceConn = await this.session.connect();
      this.loops.push(
        new Loop(
          'compaction',
          p.compactIntervalMs,
          () => this.compact(),
          this.failure('compaction'),
          p.compactIntervalMs,
        ),
      );
    }
    for (const loop of this.loops) loop.start();
    // The simulator first: its start failing (another stream in this data dir) stops `up`.
    if (this.source) await this.source.start();
    for (const source of this.sources) if (source !== this.source) await this.startSource(source);
    // Sources create their topics as they start (a CDC source one per table): bronze for those.
    await this.addNewTopics();
    this.state = 'running';
  }

  /**
   * Compacts the tables streaming writes keep appending to (bronze, and append-only silver) into
   * fewer, larger files. The rewrite commits with dataChange=false and commutes with the writers'
   * blind appends, so it runs beside them; a conflict just waits for the next round.
   */
  private async compact(): Promise<void> {
    const tables = [...this.bronze.map((w) => w.delta), ...this.models.appendOnlyTables()];
    for (const table of tables) {
      const result = await compactTable(this.maintenanceConn!, table, {
        tmpDir: join(this.dataDir, TMP_DIR),
      });
      if (result.committed)
        this.metrics.compactions.inc({ table: table.tablePath.replace('/', '.') });
    }
  }

  /**
   * Starts a configured source. One that cannot start (its database is down, a wrong password)
   * does not stop the platform or the other sources: the error is reported (its status shows it as
   * failed, /api/health raises an alert) and the start is tried again every SOURCE_RETRY_MS.
   */
  private async startSource(source: Source): Promise<void> {
    try {
      await source.start();
      this.startErrors.delete(source.name);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.startErrors.set(source.name, message);
      this.failure(`source ${source.name}`)(err);
      if (this.state === 'stopping' || this.state === 'stopped') return;
      const timer = setTimeout(() => {
        this.retries.delete(timer);
        void this.startSource(source);
      }, SOURCE_RETRY_MS);
      this.retries.add(timer);
    }
  }

  /** Each source's status; a source whose start failed shows as failed with the reason. */
  sourceStatuses(): SourceStatus[] {
    const running = this.sources.map((x): SourceStatus => {
      const st = x.status();
      const failed = this.startErrors.get(x.name);
      return failed === undefined ? st : { ...st, state: 'failed', lastError: failed };
    });
    return [...running, ...(this.ingest?.status() ?? [])];
  }

  private async writeBronze(): Promise<number> {
    // Topics appear while the platform runs (a pushed topic, a table added to a CDC source).
    if (Date.now() - this.topicsCheckedAt >= NEW_TOPIC_CHECK_MS) await this.addNewTopics();
    let rows = 0;
    for (const writer of this.bronze) rows += await writer.writeOnce();
    return rows;
  }

  /** A bronze table and writer for every log topic that has none yet. */
  private async addNewTopics(): Promise<void> {
    this.topicsCheckedAt = Date.now();
    const known = new Set(this.bronze.map((b) => b.topic));
    for (const t of await this.log.topics()) {
      if (known.has(t.name)) continue;
      // The same array the model loop and compaction read, so they see the new table too.
      this.bronze.push(await this.bronzeSet.add(t.name, t.partitions));
    }
  }

  private async transform(): Promise<void> {
    const ran = await this.models.runOnce();
    if (ran) this.emit({ type: 'run', at: Date.now() });
    if (Date.now() - this.lastPublish >= this.config.pipeline.publishIntervalMs) {
      this.lastPublish = Date.now();
      await this.models.publish();
      // The project's data tests, as often as the lake is published (not every run).
      await this.models.runDataTests();
    }
    this.updateGauges();
  }

  /**
   * Stops cleanly: the source saves its position, bronze takes in everything the log holds, the
   * models run once more and silver and gold are published, so the lake reflects every event
   * accepted before the stop.
   */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopping';
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
    for (const source of this.sources) await source.stop();
    // After the server stopped taking pushes (the caller closes it first).
    await this.ingest?.close();
    for (const loop of this.loops) await loop.stop();
    try {
      for (const writer of this.bronze) while (!(await writer.caughtUp())) await writer.writeOnce();
      await this.models.runOnce();
      await this.models.publish();
    } finally {
      await this.log.close();
      this.maintenanceConn?.close();
      await this.bronzeSet.close();
      this.session.close();
      this.state = 'stopped';
    }
  }

  /**
   * Rebuilds silver and gold from bronze (dbt's --full-refresh) and publishes them to the lake:
   * the command behind `freshet rebuild`, for after a model changed. Bronze first takes in
   * whatever the log holds.
   */
  async rebuild(): Promise<void> {
    for (const writer of this.bronze) while (!(await writer.caughtUp())) await writer.writeOnce();
    await this.models.runOnce({ force: true, fullRefresh: true });
    await this.models.publish();
  }

  /** Per-table Delta version and freshness, bronze first, then silver and gold. */
  tables(now = Date.now()): TableStatus[] {
    const out: TableStatus[] = this.bronze.map((w) => ({
      name: `bronze.${w.state.table}`,
      layer: 'bronze',
      version: w.state.version,
      freshness_seconds: seconds(w.state.maxAcceptedAt, now),
      lake_freshness_seconds: seconds(w.state.maxAcceptedAt, now),
    }));
    for (const name of this.runner.order) {
      const model = this.runner.models.get(name)!;
      if (model.config.materialized === 'ephemeral') continue;
      const published = this.models.published.get(name);
      out.push({
        name: `${model.relation.schema}.${model.relation.identifier}`,
        layer: model.relation.schema,
        version: published?.version ?? -1,
        freshness_seconds: seconds(this.models.state.watermark, now),
        lake_freshness_seconds: seconds(published?.watermark ?? null, now),
      });
    }
    return out;
  }

  /** Sources failed or too far behind (see LAG_ALERT), for /api/health. */
  alerts(): string[] {
    return this.sourceStatuses()
      .map((x) => sourceAlert(x))
      .filter((a): a is string => a !== null);
  }

  private updateGauges(): void {
    for (const st of this.sourceStatuses()) {
      this.metrics.sourceUp.set({ source: st.name }, st.state === 'running' ? 1 : 0);
      const lag = sourceLag(st);
      if (lag) this.metrics.sourceLag.set({ source: st.name, unit: lag.unit }, lag.value);
    }
    for (const t of this.tables()) {
      if (t.freshness_seconds !== null)
        this.metrics.tableFreshness.set({ table: t.name }, t.freshness_seconds);
      this.metrics.tableVersion.set({ table: t.name }, t.version);
    }
  }

  status(): PlatformStatus {
    const s = this.source?.status();
    const all = this.sourceStatuses();
    const accepted = all.reduce((n, x) => n + x.eventsAccepted, 0);
    const now = performance.now();
    if (now - this.rate.at >= 1000) {
      this.rate = {
        at: now,
        accepted,
        perSecond: ((accepted - this.rate.accepted) * 1000) / (now - this.rate.at),
      };
    }
    return {
      state: this.state,
      eventsPerSecond: this.rate.perSecond,
      eventsAccepted: accepted,
      eventsRejected: all.reduce((n, x) => n + x.eventsRejected, 0),
      errors: this.errors,
      lastError: this.lastError ?? s?.lastError ?? all.find((x) => x.lastError)?.lastError ?? null,
      goldFreshnessSeconds: seconds(this.models.state.watermark, Date.now()),
    };
  }
}

/**
 * The bronze writers, one per topic: on their own thread (see bronze-thread.ts), or with
 * --no-bronze-thread (and when running from source) on this thread with a connection of the
 * platform's session.
 */
interface BronzeSet {
  bronze: BronzeSink[];
  /** A writer for a topic that appeared after the start. */
  add(topic: string, partitions: number): Promise<BronzeSink>;
  /** Closes what the writers hold (their thread, or a DuckDB connection). */
  close(): Promise<void>;
}

async function openBronze(
  config: FreshetConfig,
  dataDir: string,
  lake: Lake,
  log: Log,
  session: Session,
  metrics: Metrics,
): Promise<BronzeSet> {
  const tmpDir = join(dataDir, TMP_DIR);
  const topics = (await log.topics()).map((t) => ({ topic: t.name, partitions: t.partitions }));
  const maxBatch = config.pipeline.maxBatch;
  const store = lake.store;
  if (config.pipeline.bronzeThread && bronzeThreadAvailable()) {
    const thread = new BronzeThread({
      lake: lake.location,
      s3CacheDir: join(dataDir, TMP_DIR, 'lake-cache-bronze'),
      tmpDir,
      topics,
      maxBatch,
      ...(config.log.url
        ? { kafka: { ...parseKafkaReaderUrl(config.log.url), clientId: 'freshet-bronze' } }
        : {}),
    });
    try {
      const bronze: BronzeSink[] = await ThreadedBronzeWriter.openAll({
        thread,
        log,
        store,
        topics,
        metrics,
        maxBatch,
      });
      return {
        bronze,
        add: (topic, partitions) =>
          ThreadedBronzeWriter.add({ thread, log, store, topic, partitions, metrics, maxBatch }),
        close: () => thread.close(),
      };
    } catch (err) {
      await thread.close();
      throw err;
    }
  }
  const conn = await session.connect();
  const open = (topic: string, partitions: number) =>
    BronzeWriter.open({ log, conn, store, topic, partitions, tmpDir, metrics, maxBatch });
  const bronze: BronzeSink[] = [];
  for (const { topic, partitions } of topics) bronze.push(await open(topic, partitions));
  return { bronze, add: open, close: async () => conn.close() };
}

/** A replay's configured days as the simulator source's window (IST midnight to midnight). */
function replayWindow(r: NonNullable<FreshetConfig['simulator']['replay']>): {
  start: number;
  end: number;
  speed: number | 'max';
} {
  const start = istMidnight(r.date);
  return { start, end: start + r.days * 86_400_000, speed: r.speed };
}
