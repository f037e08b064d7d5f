// The Log interface on a real Apache Kafka cluster, through @platformatic/kafka (a maintained,
// pure TypeScript client, loaded only when a Kafka log is opened).
//
// What it promises, as the embedded log does:
// - `append` resolves once Kafka acknowledged the records with acks=all from an idempotent
//   producer (no duplicates from the client's own retries); with `transactionalId`, each append
//   is one Kafka transaction, so a batch lands whole or not at all.
// - Keyed records go to `kafkaPartition(key, n)` (murmur2, Kafka's default partitioner), chosen
//   here and sent with an explicit partition, so a key lands on the same partition in the
//   embedded log, in Kafka, and in any Java producer.
// - `read` and `endOffset` are read_committed: a consumer never sees a record of an open or
//   aborted transaction. One difference from the embedded log: Kafka's transaction markers take
//   an offset each, so offsets of a transactional topic have gaps (readers resume from the last
//   offset they saw plus one, which is what every Freshet reader does).
// - Failures (broker down, timeouts) surface as `LogError` with `retriable: true` after the
//   client's own retries, never as a silent drop; `onRetry` counts them.

import type { Admin, Consumer, Producer, ProduceResult, RecordsBatch } from '@platformatic/kafka';
import {
  LogClosedError,
  LogError,
  OffsetOutOfRangeError,
  RecordTooLargeError,
  UnknownPartitionError,
  UnknownTopicError,
} from './errors.js';
import { checkRecord, validateTopicName } from './input-validation.js';
import { kafkaPartition } from './kafka-partitioner.js';
import type { AppendResult, Log, LogRecord, ReadOptions, StoredRecord, TopicInfo } from './log.js';

export interface KafkaLogOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  /** Client id sent to the brokers. Default `freshet`. */
  clientId?: string;
  /**
   * Makes every append one Kafka transaction with this id (a producer with the same id that
   * starts later fences this one off). Default: none (idempotent producer, no transactions).
   */
  transactionalId?: string;
  /**
   * Prepended to every topic name in Kafka and hidden from callers, so several Freshet
   * deployments (or test runs) share one cluster without sharing topics. Default ''.
   */
  topicPrefix?: string;
  /** Replication factor of topics this log creates. Default: the broker's default. */
  replicationFactor?: number;
  /** Per-request timeout in ms. Default 10 000. */
  timeoutMs?: number;
  /** Retries of one request before it fails with a retriable LogError. Default 5. */
  retries?: number;
  /** Called when a request failed and is given up on (for metrics). */
  onError?: (operation: string, err: unknown) => void;
  /**
   * Largest record (key + value + headers) accepted; bigger ones fail at once with
   * RecordTooLargeError instead of with the broker's MESSAGE_TOO_LARGE. Default 1,000,000, under
   * the broker's default message.max.bytes (1,048,588) with room for the batch header.
   */
  maxRecordBytes?: number;
  /**
   * Most record bytes per partition in one produce request: a bigger append is sent as several
   * requests (in one transaction when transactional), because the broker refuses a partition's
   * batch over message.max.bytes. Default 900,000.
   */
  maxRequestBytes?: number;
}

const READ_COMMITTED = 1;
const EARLIEST = -2n;
const IS_TRANSACTIONAL = 1 << 4;
const IS_CONTROL = 1 << 5;
const TOPIC_ALREADY_EXISTS = 36;
const DEFAULT_MAX_RECORDS = 1000;
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

/** `kafka://host:port[,host:port…][?topicPrefix=…]` → brokers and options. */
export function parseKafkaUrl(url: string): {
  brokers: string[];
  topicPrefix?: string;
  transactionalId?: string;
} {
  const m = /^kafka:\/\/([^/?#]+)\/?(?:\?([^#]*))?$/.exec(url);
  if (!m) {
    throw new LogError(
      `Not a Kafka URL: ${JSON.stringify(url)}; use kafka://host:port[,host:port…][?topicPrefix=…&transactionalId=…]`,
    );
  }
  const params = new URLSearchParams(m[2] ?? '');
  for (const k of params.keys()) {
    if (k !== 'topicPrefix' && k !== 'transactionalId')
      throw new LogError(`Unknown option ${k} in ${url}; known: topicPrefix, transactionalId`);
  }
  const topicPrefix = params.get('topicPrefix') ?? undefined;
  if (topicPrefix !== undefined && !/^[a-zA-Z0-9._-]{0,100}$/.test(topicPrefix)) {
    throw new LogError(`topicPrefix in ${url} may use only a-z A-Z 0-9 . _ -`);
  }
  const transactionalId = params.get('transactionalId') ?? undefined;
  if (transactionalId !== undefined && !/^[a-zA-Z0-9._-]{1,200}$/.test(transactionalId)) {
    throw new LogError(`transactionalId in ${url} must be 1-200 of a-z A-Z 0-9 . _ -`);
  }
  const brokers = m[1]!.split(',').map((b) => b.trim());
  for (const b of brokers) {
    if (!/^[^:\s]+:\d{1,5}$/.test(b)) {
      throw new LogError(`Bad broker ${JSON.stringify(b)} in ${url}: use host:port`);
    }
  }
  return {
    brokers,
    ...(topicPrefix ? { topicPrefix } : {}),
    ...(transactionalId ? { transactionalId } : {}),
  };
}

/**
 * A Kafka URL's settings for a client that only reads (bronze, verify, group workers): its
 * transactionalId belongs to the one producing platform and must not fence it.
 */
export function parseKafkaReaderUrl(url: string): { brokers: string[]; topicPrefix?: string } {
  const { brokers, topicPrefix } = parseKafkaUrl(url);
  return topicPrefix ? { brokers, topicPrefix } : { brokers };
}

interface TopicMeta {
  id: string;
  partitions: { leader: number; leaderEpoch: number }[];
}

export class KafkaLog implements Log {
  private closed = false;
  private readonly meta = new Map<string, TopicMeta>();
  private roundRobin = 0;
  /**
   * Appends run one at a time, so a transaction never overlaps another, and because the client's
   * idempotent producer (@platformatic/kafka 1.x) loses records when produce requests overlap:
   * eight concurrent appends of 10,000 records were all acknowledged and 10,000 records landed.
   */
  private appendChain: Promise<unknown> = Promise.resolve();

  private producer: Producer<Buffer, Buffer, Buffer, Buffer>;

  private constructor(
    private readonly opts: KafkaLogOptions,
    private readonly admin: Admin,
    private readonly newProducer: () => Producer<Buffer, Buffer, Buffer, Buffer>,
    private readonly reader: Consumer<Buffer, Buffer, Buffer, Buffer>,
  ) {
    this.producer = newProducer();
  }

  /** Connects to the cluster (fails with a retriable LogError when no broker answers). */
  static async open(opts: KafkaLogOptions): Promise<KafkaLog> {
    if (opts.brokers.length === 0) throw new LogError('KafkaLog needs at least one broker');
    const kafka = await import('@platformatic/kafka');
    const base = {
      clientId: opts.clientId ?? 'freshet',
      bootstrapBrokers: opts.brokers,
      timeout: opts.timeoutMs ?? 10_000,
      retries: opts.retries ?? 5,
      retryDelay: 250,
      autocreateTopics: false,
    };
    const admin = new kafka.Admin(base);
    const newProducer = () =>
      new kafka.Producer<Buffer, Buffer, Buffer, Buffer>({
        ...base,
        idempotent: true,
        acks: kafka.ProduceAcks.ALL,
        // InitProducerId for a new producer must say "no producer yet" (-1/-1, as Kafka's own
        // client does); the client's default of 0/0 is taken as a stale epoch of the old
        // producer, so after a kill -9 in an open transaction every new one was PRODUCER_FENCED.
        producerId: -1n,
        producerEpoch: -1,
        ...(opts.transactionalId ? { transactionalId: opts.transactionalId } : {}),
      });
    const reader = new kafka.Consumer<Buffer, Buffer, Buffer, Buffer>({
      ...base,
      // Never joins: only Metadata, ListOffsets and Fetch go through it.
      groupId: `${base.clientId}-log-reader`,
    });
    const log = new KafkaLog(opts, admin, newProducer, reader);
    try {
      await log.call('connect', () => reader.metadata({ topics: [] }));
    } catch (err) {
      await log.close().catch(() => undefined);
      throw err;
    }
    return log;
  }

  get brokers(): readonly string[] {
    return this.opts.brokers;
  }

  async createTopic(topic: string, opts: { partitions?: number } = {}): Promise<void> {
    this.checkOpen();
    validateTopicName(topic);
    const partitions = opts.partitions ?? 1;
    try {
      await this.call('createTopic', () =>
        this.admin.createTopics({
          topics: [this.kafkaTopic(topic)],
          partitions,
          ...(this.opts.replicationFactor ? { replicas: this.opts.replicationFactor } : {}),
        }),
      );
    } catch (err) {
      if (!hasErrorCode(err, TOPIC_ALREADY_EXISTS)) throw err;
    }
    // A new topic's leaders take a moment to appear in the metadata.
    for (let i = 0; ; i++) {
      const m = await this.topicMeta(topic, true).catch(() => undefined);
      if (m && m.partitions.length > 0 && m.partitions.every((p) => p.leader >= 0)) return;
      if (i >= 100) throw new LogError(`Topic ${topic} has no leader yet`, { retriable: true });
      await sleep(100);
    }
  }

  async topics(): Promise<TopicInfo[]> {
    this.checkOpen();
    const names = await this.call('topics', () => this.admin.listTopics());
    const prefix = this.opts.topicPrefix ?? '';
    const user = names
      .filter((n) => !n.startsWith('__') && n.startsWith(prefix))
      .map((n) => n.slice(prefix.length))
      .sort();
    const out: TopicInfo[] = [];
    for (const name of user) {
      out.push({ name, partitions: (await this.topicMeta(name, true)).partitions.length });
    }
    return out;
  }

  append(topic: string, records: LogRecord[]): Promise<AppendResult[]> {
    const run = this.appendChain.then(
      () => this.appendNow(topic, records),
      () => this.appendNow(topic, records),
    );
    this.appendChain = run.catch(() => undefined);
    return run;
  }

  private async appendNow(topic: string, records: LogRecord[]): Promise<AppendResult[]> {
    this.checkOpen();
    if (!Array.isArray(records)) throw new LogError('append takes an array of records');
    if (records.length === 0) return [];
    const now = Date.now();
    const fields = records.map((r) => checkRecord(topic, r, now));
    const n = (await this.topicMeta(topic)).partitions.length;
    const placed = fields.map((f) => ({
      partition: f.key === null ? this.roundRobin++ % n : kafkaPartition(f.key, n),
    }));
    const kafkaTopic = this.kafkaTopic(topic);
    const maxRecordBytes = this.opts.maxRecordBytes ?? 1_000_000;
    const messages = fields.map((f, i) => {
      const key = f.key === null ? undefined : Buffer.from(f.key, 'utf8');
      const headers = new Map(
        Object.entries(f.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)] as const),
      );
      let size = (key?.length ?? 0) + f.value.length;
      for (const [k, v] of headers) size += k.length + v.length;
      if (size > maxRecordBytes) throw new RecordTooLargeError(topic, size, maxRecordBytes);
      const message = {
        topic: kafkaTopic,
        partition: placed[i]!.partition,
        key,
        value: f.value,
        headers,
        timestamp: BigInt(f.timestamp),
      };
      return { message, size };
    });
    const requests = splitRequests(messages, this.opts.maxRequestBytes ?? 900_000);
    const sendAll = async (send: (m: (typeof requests)[number]) => Promise<ProduceResult>) => {
      const results: ProduceResult[] = [];
      for (const request of requests) results.push(await send(request));
      return results;
    };
    const results = await this.call('append', async () => {
      if (!this.opts.transactionalId) {
        return sendAll((messages) => this.producer.send({ messages }));
      }
      try {
        const tx = await this.producer.beginTransaction();
        try {
          const r = await sendAll((messages) => tx.send({ messages }));
          await tx.commit();
          return r;
        } catch (err) {
          await tx.abort().catch(() => undefined);
          throw err;
        }
      } catch (err) {
        // The client keeps a transaction it could not begin or end as "active" and refuses every
        // later one (a restart after kill -9 meets the old, still open transaction this way). A
        // new producer with the same transactionalId starts clean: its InitProducerId fences the
        // old one and has the coordinator abort what it left open.
        const stuck = this.producer;
        this.producer = this.newProducer();
        void stuck.close().catch(() => undefined);
        throw err;
      }
    });
    // One batch per partition per produce request: its records are contiguous from its base.
    const out: AppendResult[] = [];
    for (const [r, request] of requests.entries()) {
      const base = new Map<number, number>();
      for (const o of results[r]!.offsets ?? []) {
        if (o.topic === kafkaTopic) base.set(o.partition, Number(o.offset));
      }
      const ordinal = new Map<number, number>();
      for (const m of request) {
        const b = base.get(m.partition);
        if (b === undefined) {
          throw new LogError(`Kafka acknowledged no offset for ${topic}/${m.partition}`, {
            retriable: true,
          });
        }
        const k = ordinal.get(m.partition) ?? 0;
        ordinal.set(m.partition, k + 1);
        out.push({ partition: m.partition, offset: b + k });
      }
    }
    return out;
  }

  async read(
    topic: string,
    partition: number,
    fromOffset: number,
    opts: ReadOptions = {},
  ): Promise<StoredRecord[]> {
    this.checkOpen();
    const maxRecords = opts.maxRecords ?? DEFAULT_MAX_RECORDS;
    const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    const meta = await this.topicMeta(topic);
    const p = this.partitionMeta(topic, meta, partition);
    if (!Number.isSafeInteger(fromOffset) || fromOffset < 0) {
      throw new LogError(`read: fromOffset must be a non-negative integer, got ${fromOffset}`);
    }
    let response;
    try {
      response = await this.call('read', () =>
        this.reader.fetch({
          node: p.leader,
          maxWaitTime: 0,
          minBytes: 1,
          maxBytes: Math.max(maxBytes, 1024 * 1024),
          isolationLevel: READ_COMMITTED,
          topics: [
            {
              topicId: meta.id,
              partitions: [
                {
                  partition,
                  currentLeaderEpoch: -1,
                  fetchOffset: BigInt(fromOffset),
                  lastFetchedEpoch: -1,
                  partitionMaxBytes: Math.max(maxBytes, 1024 * 1024),
                },
              ],
            },
          ],
        }),
      );
    } catch (err) {
      const [start, end] = await Promise.all([
        this.startOffset(topic, partition),
        this.endOffset(topic, partition),
      ]);
      if (fromOffset < start || fromOffset > end) {
        throw new OffsetOutOfRangeError(topic, partition, fromOffset, start, end);
      }
      this.meta.delete(topic); // a moved leader: fresh metadata next time
      throw err;
    }
    const part = response.responses[0]?.partitions[0];
    if (!part) return [];
    const lso = Number(part.lastStableOffset);
    if (fromOffset > Number(part.highWatermark)) {
      throw new OffsetOutOfRangeError(
        topic,
        partition,
        fromOffset,
        Number(part.logStartOffset),
        lso,
      );
    }
    // Aborted transactions in range, per producer, by first offset (as Kafka's consumer does).
    const aborted = new Map<bigint, bigint[]>();
    for (const a of part.abortedTransactions ?? []) {
      const list = aborted.get(a.producerId) ?? [];
      list.push(a.firstOffset);
      aborted.set(a.producerId, list);
    }
    for (const list of aborted.values()) list.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const out: StoredRecord[] = [];
    let bytes = 0;
    for (const batch of part.records ?? []) {
      if (isAbortedOrControl(batch, aborted)) continue;
      for (const r of batch.records) {
        const offset = Number(batch.firstOffset + BigInt(r.offsetDelta));
        if (offset < fromOffset) continue;
        if (offset >= lso) return out;
        const value = r.value ?? Buffer.alloc(0);
        const size = (r.key?.length ?? 0) + value.length;
        if (out.length >= maxRecords || (out.length > 0 && bytes + size > maxBytes)) return out;
        bytes += size;
        const headers: Record<string, string> = {};
        for (const [k, v] of r.headers) {
          if (k) headers[k.toString('utf8')] = v ? v.toString('utf8') : '';
        }
        out.push({
          topic,
          partition,
          offset,
          key: r.key ? r.key.toString('utf8') : null,
          value: Buffer.from(value),
          headers,
          timestamp: Number(batch.firstTimestamp + r.timestampDelta),
        });
      }
    }
    return out;
  }

  async startOffset(topic: string, partition: number): Promise<number> {
    return this.listOffset(topic, partition, EARLIEST);
  }

  /** The last stable offset: one past the last committed record (read_committed). */
  async endOffset(topic: string, partition: number): Promise<number> {
    return this.listOffset(topic, partition, undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.appendChain.catch(() => undefined);
    await Promise.allSettled([this.producer.close(), this.reader.close(), this.admin.close()]);
  }

  private async listOffset(
    topic: string,
    partition: number,
    timestamp: bigint | undefined,
  ): Promise<number> {
    this.checkOpen();
    const meta = await this.topicMeta(topic);
    this.partitionMeta(topic, meta, partition);
    const offsets = await this.call('listOffsets', () =>
      this.reader.listOffsets({
        topics: [this.kafkaTopic(topic)],
        partitions: { [this.kafkaTopic(topic)]: [partition] },
        isolationLevel: READ_COMMITTED,
        ...(timestamp === undefined ? {} : { timestamp }),
      }),
    );
    const o = offsets.get(this.kafkaTopic(topic))?.[partition];
    if (o === undefined) {
      throw new LogError(`Kafka returned no offset for ${topic}/${partition}`, {
        retriable: true,
      });
    }
    return Number(o);
  }

  private partitionMeta(topic: string, meta: TopicMeta, partition: number) {
    const p = Number.isInteger(partition) ? meta.partitions[partition] : undefined;
    if (!p) throw new UnknownPartitionError(topic, partition, meta.partitions.length);
    return p;
  }

  private async topicMeta(topic: string, refresh = false): Promise<TopicMeta> {
    const cached = this.meta.get(topic);
    if (cached && !refresh) return cached;
    let md;
    try {
      md = await this.call('metadata', () =>
        this.reader.metadata({
          topics: [this.kafkaTopic(topic)],
          forceUpdate: true,
          autocreateTopics: false,
        }),
      );
    } catch (err) {
      // UNKNOWN_TOPIC_OR_PARTITION from the broker, or the client's own "Unknown topic".
      if (hasErrorCode(err, 3) || isUnknownTopic(err)) throw new UnknownTopicError(topic);
      throw err;
    }
    const t = md.topics.get(this.kafkaTopic(topic));
    if (!t) throw new UnknownTopicError(topic);
    const meta: TopicMeta = {
      id: t.id,
      partitions: t.partitions.map((p) => ({ leader: p.leader, leaderEpoch: p.leaderEpoch })),
    };
    this.meta.set(topic, meta);
    return meta;
  }

  /** The topic's name in Kafka. */
  kafkaTopic(topic: string): string {
    return (this.opts.topicPrefix ?? '') + topic;
  }

  private checkOpen(): void {
    if (this.closed) throw new LogClosedError();
  }

  /** Runs a client call; what fails after the client's retries becomes a clear LogError. */
  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof LogError) throw err;
      if (hasErrorCode(err, 3) || hasErrorCode(err, TOPIC_ALREADY_EXISTS) || isUnknownTopic(err)) {
        throw err;
      }
      this.opts.onError?.(operation, err);
      throw new LogError(
        `Kafka ${operation} failed against ${this.opts.brokers.join(',')}: ${describe(err)}`,
        { retriable: true, cause: err },
      );
    }
  }
}

function isAbortedOrControl(batch: RecordsBatch, aborted: Map<bigint, bigint[]>): boolean {
  const list = aborted.get(batch.producerId);
  const inAborted = list !== undefined && list.length > 0 && batch.firstOffset >= list[0]!;
  if (batch.attributes & IS_CONTROL) {
    // The marker that ends an aborted transaction: the producer's next one may be committed.
    if (inAborted) list.shift();
    return true;
  }
  return (batch.attributes & IS_TRANSACTIONAL) !== 0 && inAborted;
}

/** Kafka error codes anywhere in the client's error (it nests them in AggregateErrors). */
function hasErrorCode(err: unknown, code: number, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as { apiCode?: number; errors?: unknown[]; cause?: unknown };
  if (e.apiCode === code) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => hasErrorCode(x, code, depth + 1))) {
    return true;
  }
  return hasErrorCode(e.cause, code, depth + 1);
}

function isUnknownTopic(err: unknown): boolean {
  return (
    err instanceof Error &&
    (err as { code?: string }).code === 'PLT_KFK_USER' &&
    /^Unknown topic /.test(err.message)
  );
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const nested = (err as { errors?: unknown[] }).errors;
  const inner = Array.isArray(nested)
    ? nested.map((x) => (x instanceof Error ? x.message : String(x))).filter(Boolean)
    : [];
  return inner.length > 0 ? `${err.message} (${[...new Set(inner)].join('; ')})` : err.message;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Splits an append into produce requests, in order, so that no partition's batch in a request
 * carries more than `maxBytes` of records (a single record always fits: the caller checked it).
 */
function splitRequests<M extends { partition: number }>(
  messages: Array<{ message: M; size: number }>,
  maxBytes: number,
): M[][] {
  const requests: M[][] = [];
  let current: M[] = [];
  let bytes = new Map<number, number>();
  for (const { message, size } of messages) {
    const used = bytes.get(message.partition) ?? 0;
    if (used > 0 && used + size > maxBytes) {
      requests.push(current);
      current = [];
      bytes = new Map();
    }
    current.push(message);
    bytes.set(message.partition, (bytes.get(message.partition) ?? 0) + size);
  }
  if (current.length > 0) requests.push(current);
  return requests;
}
