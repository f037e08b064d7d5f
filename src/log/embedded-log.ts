// The embedded durable log: topics on the local disk, no server. Layout of `dir`:
//
//   .freshet.lock                     the process that has the log open (dir-lock.ts)
//   .freshet-topics.json              topics and partition counts (topic-metadata.ts)
//   <topic>/<partition>/<baseOffset>.log   segment files (segment.ts, record-codec.ts)

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DirLock } from './dir-lock.js';
import { syncDir } from './durable-fs.js';
import {
  resolveOptions,
  type EmbeddedLogOptions,
  type ResolvedOptions,
} from './embedded-log-options.js';
import {
  InvalidRecordError,
  InvalidTopicError,
  LogClosedError,
  RecordTooLargeError,
  UnknownPartitionError,
  UnknownTopicError,
} from './errors.js';
import { checkRecord, validateTopicName } from './input-validation.js';
import { kafkaPartition } from './kafka-partitioner.js';
import type {
  AppendResult,
  FrameBatch,
  Log,
  LogRecord,
  ReadOptions,
  StoredRecord,
  TopicInfo,
} from './log.js';
import { PartitionLog, type PartitionRecovery } from './partition-log.js';
import { prepareRecord, type PreparedRecord } from './record-codec.js';
import { loadTopics, saveTopics, type TopicTable } from './topic-metadata.js';

const MIB = 1024 * 1024;
const MAX_BATCH_BYTES = 8 * MIB;
const DEFAULT_MAX_RECORDS = 1000;
const DEFAULT_MAX_BYTES = 4 * MIB;
const MAX_PARTITIONS = 10_000;

interface TopicState {
  name: string;
  partitions: PartitionLog[];
  /** Next partition for a record without a key. */
  roundRobin: number;
}

/**
 * The default log: durable topics in a local directory.
 *
 * @example
 * const log = await EmbeddedLog.open('freshet-data/log');
 * await log.createTopic('pos.transactions', { partitions: 6 });
 * const [{ partition, offset }] = await log.append('pos.transactions', [
 *   { key: 'S0001', value: Buffer.from('{"bill_id":"B1"}') },
 * ]);
 * const records = await log.read('pos.transactions', partition, offset);
 */
export class EmbeddedLog implements Log {
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  /** createTopic calls run one at a time, so the topics file is never written concurrently. */
  private topicChanges: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private readonly opts: ResolvedOptions,
    private readonly lock: DirLock,
    private readonly topicTable: TopicTable,
    private readonly topicStates: Map<string, TopicState>,
    /** Torn tails cut off while opening, for logs and metrics. */
    readonly recovered: readonly PartitionRecovery[],
  ) {}

  /**
   * Opens the log in `dir` (created if missing), takes the directory lock, and recovers every
   * partition: a tail torn by a crash is cut back to the last complete record.
   */
  static async open(dir: string, options: EmbeddedLogOptions = {}): Promise<EmbeddedLog> {
    const opts = resolveOptions(options);
    await mkdir(dir, { recursive: true });
    const lock = await DirLock.acquire(dir);
    const opened: PartitionLog[] = [];
    try {
      const table = await loadTopics(dir);
      const states = new Map<string, TopicState>();
      const recovered: PartitionRecovery[] = [];
      for (const [name, { partitions }] of table) {
        const logs = await Promise.all(
          Array.from({ length: partitions }, (_, p) => openPartition(dir, name, p, opts)),
        );
        for (const { partition, recovery } of logs) {
          opened.push(partition);
          if (recovery) recovered.push(recovery);
        }
        states.set(name, { name, partitions: logs.map((l) => l.partition), roundRobin: 0 });
      }
      const log = new EmbeddedLog(dir, opts, lock, table, states, recovered);
      log.startTimers();
      return log;
    } catch (err) {
      await Promise.allSettled(opened.map((p) => p.close()));
      await lock.release();
      throw err;
    }
  }

  async createTopic(topic: string, opts: { partitions?: number } = {}): Promise<void> {
    this.assertOpen();
    const partitions = opts.partitions ?? 1;
    validateTopicName(topic);
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
      throw new InvalidTopicError(
        topic,
        `partitions must be an integer from 1 to ${MAX_PARTITIONS}, got ${partitions}`,
      );
    }
    const change = this.topicChanges.then(async () => {
      if (this.topicStates.has(topic)) return;
      this.assertOpen();
      this.topicTable.set(topic, { partitions });
      try {
        await saveTopics(this.dir, this.topicTable);
      } catch (err) {
        this.topicTable.delete(topic);
        throw err;
      }
      await mkdir(join(this.dir, topic), { recursive: true });
      await syncDir(this.dir);
      const logs = await Promise.all(
        Array.from({ length: partitions }, (_, p) => openPartition(this.dir, topic, p, this.opts)),
      );
      await syncDir(join(this.dir, topic));
      this.topicStates.set(topic, {
        name: topic,
        partitions: logs.map((l) => l.partition),
        roundRobin: 0,
      });
    });
    this.topicChanges = change.catch(() => undefined);
    await change;
  }

  async topics(): Promise<TopicInfo[]> {
    this.assertOpen();
    return [...this.topicStates.values()]
      .map((t) => ({ name: t.name, partitions: t.partitions.length }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async append(topic: string, records: LogRecord[]): Promise<AppendResult[]> {
    this.assertOpen();
    const state = this.topic(topic);
    if (!Array.isArray(records)) throw new InvalidRecordError(topic, 'records must be an array');
    const n = state.partitions.length;
    const now = Date.now();
    // Validate and place every record before writing any, so a bad record refuses the whole
    // call instead of leaving half of it written.
    const byPartition: PreparedRecord[][] = Array.from({ length: n }, () => []);
    const placement = new Array<[number, number]>(records.length);
    for (let i = 0; i < records.length; i++) {
      const prepared = prepareRecord(checkRecord(topic, records[i], now));
      if (prepared.frameBytes > this.opts.maxRecordBytes) {
        throw new RecordTooLargeError(topic, prepared.frameBytes, this.opts.maxRecordBytes);
      }
      const key = prepared.fields.key;
      let p: number;
      if (key === null) {
        p = state.roundRobin;
        state.roundRobin = (p + 1) % n;
      } else {
        p = kafkaPartition(key, n);
      }
      placement[i] = [p, byPartition[p]!.length];
      byPartition[p]!.push(prepared);
    }
    const firsts = await Promise.all(
      byPartition.map((recs, p) => (recs.length > 0 ? state.partitions[p]!.append(recs) : 0)),
    );
    return placement.map(([p, i]) => ({ partition: p, offset: firsts[p]! + i }));
  }

  async read(
    topic: string,
    partition: number,
    fromOffset: number,
    opts: ReadOptions = {},
  ): Promise<StoredRecord[]> {
    this.assertOpen();
    const log = this.partition(topic, partition);
    return log.read(fromOffset, readLimits(fromOffset, opts));
  }

  /**
   * What `read` returns, as raw frames for decodeFrames: for a consumer on another thread, so
   * that parsing and checksumming leave the thread that appends.
   */
  async readFrames(
    topic: string,
    partition: number,
    fromOffset: number,
    opts: ReadOptions = {},
  ): Promise<FrameBatch> {
    this.assertOpen();
    const log = this.partition(topic, partition);
    const { maxRecords, maxBytes } = readLimits(fromOffset, opts);
    return log.readFrames(fromOffset, { maxRecords, maxBytes });
  }

  async startOffset(topic: string, partition: number): Promise<number> {
    this.assertOpen();
    return this.partition(topic, partition).startOffset;
  }

  async endOffset(topic: string, partition: number): Promise<number> {
    this.assertOpen();
    return this.partition(topic, partition).endOffset;
  }

  /**
   * Applies retentionMs / retentionBytes now (it also runs every retentionCheckIntervalMs).
   * Returns the number of segments deleted.
   */
  async enforceRetention(): Promise<number> {
    this.assertOpen();
    const { retentionMs, retentionBytes } = this.opts;
    if (retentionMs === undefined && retentionBytes === undefined) return 0;
    let deleted = 0;
    for (const state of this.topicStates.values()) {
      for (const p of state.partitions) {
        deleted += await p.enforceRetention({ now: Date.now(), retentionMs, retentionBytes });
      }
    }
    return deleted;
  }

  /**
   * Waits for appends in flight, syncs, closes the files and releases the directory.
   * Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await this.topicChanges;
    const all = [...this.topicStates.values()].flatMap((t) => t.partitions);
    const results = await Promise.allSettled(all.map((p) => p.close()));
    await this.lock.release();
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) throw failure.reason;
  }

  private startTimers(): void {
    if (this.opts.fsync === 'interval') {
      let running = false;
      const timer = setInterval(() => {
        if (running) return;
        running = true;
        // A failed sync fences its partition; the next append reports it, so nothing here.
        void this.syncAll()
          .catch(() => undefined)
          .finally(() => (running = false));
      }, this.opts.fsyncIntervalMs);
      timer.unref();
      this.timers.push(timer);
    }
    if (this.opts.retentionMs !== undefined || this.opts.retentionBytes !== undefined) {
      let running = false;
      const timer = setInterval(() => {
        if (running || this.closed) return;
        running = true;
        // Retention that fails now is tried again at the next check; nothing is lost meanwhile.
        void this.enforceRetention()
          .catch(() => undefined)
          .finally(() => (running = false));
      }, this.opts.retentionCheckIntervalMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  private async syncAll(): Promise<void> {
    for (const state of this.topicStates.values()) {
      for (const p of state.partitions) await p.sync();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new LogClosedError();
  }

  private topic(topic: string): TopicState {
    const state = this.topicStates.get(topic);
    if (!state) throw new UnknownTopicError(topic);
    return state;
  }

  private partition(topic: string, partition: number): PartitionLog {
    const state = this.topic(topic);
    const log = Number.isInteger(partition) ? state.partitions[partition] : undefined;
    if (!log) throw new UnknownPartitionError(topic, partition, state.partitions.length);
    return log;
  }
}

function openPartition(dir: string, topic: string, partition: number, opts: ResolvedOptions) {
  return PartitionLog.open({
    topic,
    partition,
    dir: join(dir, topic, String(partition)),
    fsync: opts.fsync,
    segmentBytes: opts.segmentBytes,
    maxBatchBytes: Math.min(MAX_BATCH_BYTES, opts.segmentBytes),
  });
}

function readLimits(
  fromOffset: number,
  opts: ReadOptions,
): { maxRecords: number; maxBytes: number } {
  const maxRecords = opts.maxRecords ?? DEFAULT_MAX_RECORDS;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!Number.isSafeInteger(fromOffset) || fromOffset < 0) {
    throw new RangeError(`fromOffset must be a non-negative integer, got ${fromOffset}`);
  }
  if (!(maxRecords >= 1) || !(maxBytes >= 1)) {
    throw new RangeError('maxRecords and maxBytes must be at least 1');
  }
  return { maxRecords, maxBytes };
}
