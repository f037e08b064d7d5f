// Bronze on its own thread. At 100k events/s, decoding log frames, filling DuckDB's appender and
// writing Parquet cost about as much CPU as producing and appending the events, so on one thread
// the two halves cap each other. On the embedded log, the platform's thread only reads raw frames
// (a file read and a walk over frame headers) and hands them over; a worker thread with its own
// DuckDB decodes, checks and commits them (BronzeTable), and answers with the new positions. On
// Kafka, the worker has its own Kafka client and reads the topics itself (fetching and parsing
// Kafka's record batches is the larger cost there), and the platform's thread only asks it to. Exactly-once does not depend on the thread: the positions live in the table's Delta
// txns, and the worker drops whatever a commit already holds. If the worker dies, pending writes
// fail (the bronze loop reports and retries) and the next write starts a new one, which reads
// its positions back from the lake.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DeltaTable, type ObjectStore } from '../lake/index.js';
import type { EmbeddedLog, FrameBatch, KafkaLogOptions, Log } from '../log/index.js';
import type { Metrics } from '../observe/index.js';
import type { BronzeCommit, BronzeTableState } from './bronze-table.js';
import { bronzeCaughtUp, recordBronzeCommit, type BronzeSink } from './bronze-writer.js';
import { bronzeTableName, lakePath } from './names.js';

export interface BronzeThreadSetup {
  /** Lake location as objectStoreFor takes it (a local path or s3://…). */
  lake: string;
  /** The worker's own S3 read cache (not shared with the platform's). */
  s3CacheDir?: string;
  tmpDir: string;
  topics: Array<{ topic: string; partitions: number }>;
  duckdbThreads?: number;
  /** Set when the log is Kafka: the worker reads it with a client of its own. */
  kafka?: Pick<KafkaLogOptions, 'brokers' | 'topicPrefix' | 'clientId'>;
  /** Records per partition per commit when the worker reads the log itself. */
  maxBatch?: number;
}

export type BronzeThreadRequest =
  | { type: 'commit'; id: number; topic: string; batches: FrameBatch[] }
  /** A topic created after the thread started. */
  | { type: 'add'; id: number; topic: string; partitions: number }
  /** Kafka: read the topic from the table's positions and commit what is there. */
  | { type: 'pull'; id: number; topic: string }
  | { type: 'close' };

/** A table as the thread found it in the lake: its state and next offset per partition. */
export interface TableReady {
  state: BronzeTableState;
  positions: number[];
}

export type BronzeThreadReply =
  | { type: 'ready'; tables: TableReady[] }
  | { type: 'failed'; message: string }
  | { type: 'committed'; id: number; commit: BronzeCommit | null }
  | { type: 'added'; id: number; table: TableReady }
  | { type: 'error'; id: number; message: string };

const WORKER_SCRIPT = new URL('./bronze-thread-worker.js', import.meta.url);

/**
 * True when the compiled worker script is there to start. It is not when this module runs from
 * TypeScript source (the unit tests): the platform then writes bronze on its own (main) thread.
 */
export function bronzeThreadAvailable(): boolean {
  return WORKER_SCRIPT.protocol === 'file:' && existsSync(fileURLToPath(WORKER_SCRIPT));
}

interface Pending {
  resolve: (reply: unknown) => void;
  reject: (e: Error) => void;
}

/** The worker thread and its protocol; writers (ThreadedBronzeWriter) send commits through it. */
export class BronzeThread {
  private worker: Worker | null = null;
  private starting: Promise<BronzeThreadReply & { type: 'ready' }> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** Workers that died (crashed or failed to start) and were replaced at the next write. */
  restarts = 0;

  constructor(private readonly setup: BronzeThreadSetup) {}

  /** Starts the worker if none runs; resolves with each table's state and positions. */
  ensure(): Promise<BronzeThreadReply & { type: 'ready' }> {
    if (this.closed) return Promise.reject(new Error('the bronze thread is closed'));
    if (this.starting) return this.starting;
    const worker = new Worker(WORKER_SCRIPT, { workerData: this.setup });
    this.worker = worker;
    this.starting = new Promise((resolve, reject) => {
      const dead = (err: Error) => {
        if (this.worker === worker) {
          this.worker = null;
          this.starting = null;
          this.restarts++;
        }
        reject(err);
        for (const [id, p] of this.pending) {
          this.pending.delete(id);
          p.reject(err);
        }
      };
      worker.on('message', (m: BronzeThreadReply) => {
        if (m.type === 'ready') resolve(m);
        else if (m.type === 'failed')
          dead(new Error(`the bronze thread could not start: ${m.message}`));
        else {
          const p = this.pending.get(m.id);
          if (!p) return;
          this.pending.delete(m.id);
          if (m.type === 'committed') p.resolve(m.commit);
          else if (m.type === 'added') p.resolve(m.table);
          else p.reject(new Error(m.message));
        }
      });
      worker.on('error', (err) => dead(new Error(`the bronze thread failed: ${err.message}`)));
      worker.on('exit', (code) => {
        if (!this.closed || code !== 0) dead(new Error(`the bronze thread exited (code ${code})`));
      });
    });
    // A failed start is reported to whoever awaits it; keep it from also being unhandled.
    this.starting.catch(() => undefined);
    return this.starting;
  }

  /** Whether the worker reads the log itself (Kafka) rather than being sent frames. */
  get pulls(): boolean {
    return this.setup.kafka !== undefined;
  }

  /** Has the worker commit these frames of `topic` (embedded log). */
  commit(topic: string, batches: FrameBatch[]): Promise<BronzeCommit | null> {
    return this.request((id) => ({ type: 'commit', id, topic, batches }));
  }

  /** Has the worker read `topic` from its positions and commit what it finds (Kafka). */
  pull(topic: string): Promise<BronzeCommit | null> {
    return this.request((id) => ({ type: 'pull', id, topic }));
  }

  /**
   * Opens a topic that appeared after the start (a restarted worker opens it too). Returns its
   * index among the thread's topics and what the lake holds of it.
   */
  async add(topic: string, partitions: number): Promise<{ index: number; table: TableReady }> {
    let index = this.setup.topics.findIndex((t) => t.topic === topic);
    if (index < 0) index = this.setup.topics.push({ topic, partitions }) - 1;
    const table = await this.request<TableReady>((id) => ({ type: 'add', id, topic, partitions }));
    const ready = await this.ensure();
    ready.tables[index] = table;
    return { index, table };
  }

  private async request<T = BronzeCommit | null>(
    make: (id: number) => BronzeThreadRequest,
  ): Promise<T> {
    await this.ensure();
    const worker = this.worker!;
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (reply: unknown) => void, reject });
      worker.postMessage(make(id));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    const exited = new Promise<void>((r) => worker.once('exit', () => r()));
    worker.postMessage({ type: 'close' } satisfies BronzeThreadRequest);
    // The worker ends once its port closes; a stuck one is stopped after a grace period.
    const timer = setTimeout(() => void worker.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * One topic's bronze on the bronze thread: reads raw frames from the embedded log at its
 * positions and has the thread commit them (on Kafka, has the thread read and commit). Positions and state come back from the thread, which
 * reads them from the lake, so a restarted thread puts this writer right again.
 */
export class ThreadedBronzeWriter implements BronzeSink {
  private positions: number[];

  private constructor(
    private readonly thread: BronzeThread,
    private readonly log: Log & Partial<Pick<EmbeddedLog, 'readFrames'>>,
    readonly delta: DeltaTable,
    public state: BronzeTableState,
    positions: number[],
    private readonly metrics: Metrics,
    private readonly maxBatch: number,
    private readonly index: number,
  ) {
    this.positions = positions;
  }

  /** Starts the thread and opens a writer per topic (in the order given to the thread). */
  static async openAll(opts: {
    thread: BronzeThread;
    /** The embedded log (frames are read from it), or on Kafka the platform's client. */
    log: Log & Partial<Pick<EmbeddedLog, 'readFrames'>>;
    store: ObjectStore;
    topics: Array<{ topic: string; partitions: number }>;
    metrics: Metrics;
    maxBatch: number;
  }): Promise<ThreadedBronzeWriter[]> {
    const ready = await opts.thread.ensure();
    const writers: ThreadedBronzeWriter[] = [];
    for (const [i, { topic }] of opts.topics.entries()) {
      const delta = await DeltaTable.open(opts.store, lakePath('bronze', bronzeTableName(topic)));
      const t = ready.tables[i]!;
      writers.push(
        new ThreadedBronzeWriter(
          opts.thread,
          opts.log,
          delta,
          t.state,
          t.positions,
          opts.metrics,
          opts.maxBatch,
          i,
        ),
      );
    }
    return writers;
  }

  /** A writer for a topic created after the thread started. */
  static async add(opts: {
    thread: BronzeThread;
    log: Log & Partial<Pick<EmbeddedLog, 'readFrames'>>;
    store: ObjectStore;
    topic: string;
    partitions: number;
    metrics: Metrics;
    maxBatch: number;
  }): Promise<ThreadedBronzeWriter> {
    const { index, table } = await opts.thread.add(opts.topic, opts.partitions);
    const delta = await DeltaTable.open(
      opts.store,
      lakePath('bronze', bronzeTableName(opts.topic)),
    );
    return new ThreadedBronzeWriter(
      opts.thread,
      opts.log,
      delta,
      table.state,
      table.positions,
      opts.metrics,
      opts.maxBatch,
      index,
    );
  }

  get topic(): string {
    return this.state.topic;
  }

  get nextOffsets(): readonly number[] {
    return this.positions;
  }

  caughtUp(): Promise<boolean> {
    return bronzeCaughtUp(this.log, this.topic, this.positions);
  }

  async writeOnce(): Promise<number> {
    // A thread that restarted since the last write knows better where this table stands.
    const ready = await this.thread.ensure();
    const known = ready.tables[this.index]!;
    if (known.state.version > this.state.version) {
      this.state = known.state;
      this.positions = [...known.positions];
    }
    const commit = this.thread.pulls
      ? await this.thread.pull(this.topic)
      : await this.commitFrames();
    if (commit === null) return 0;
    this.state = commit.state;
    this.positions = commit.positions;
    // What a later restart of the thread would read back from the lake.
    ready.tables[this.index] = { state: commit.state, positions: commit.positions };
    recordBronzeCommit(this.metrics, commit);
    return commit.rows;
  }

  private async commitFrames(): Promise<BronzeCommit | null> {
    const batches: FrameBatch[] = [];
    let total = 0;
    for (let p = 0; p < this.positions.length; p++) {
      const batch = await this.log.readFrames!(this.topic, p, this.positions[p]!, {
        maxRecords: this.maxBatch,
      });
      batches.push(batch);
      total += batch.records;
    }
    return total === 0 ? null : this.thread.commit(this.topic, batches);
  }
}
