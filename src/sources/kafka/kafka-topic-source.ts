// Reads topics of an external Kafka cluster (JSON, Confluent Avro or JSON Schema, Debezium change
// events) into Freshet's log. Invariant 3 lives in `finish`: a batch is appended to the log first;
// only then are its positions saved to the checkpoint file, and only after that committed to the
// consumer group (never ahead of the log), so lag tools see progress. A crash in between replays
// the batch with the same event ids (deterministic from topic, partition and offset).
//
// Several sources in one consumer group split the partitions; each reads only what the group
// assigned to it. A partition's starting point, whenever it is (re)assigned, is the larger of
// this source's checkpoint and the group's committed offset: both only ever say "everything
// before this is durable in the log", and the group's is newer when another member read the
// partition meanwhile. With neither, `startFrom` decides.

import type { Admin } from '@platformatic/kafka';
import type { LogRecord } from '../../log/index.js';
import { ExternalRegistry, RegistryError } from '../../registry/index.js';
import { QUARANTINE_TOPIC } from '../simulator-source.js';
import type { Source, SourceStatus } from '../source.js';
import { loadKafkaCheckpoint, saveKafkaCheckpoint } from './checkpoint.js';
import { idsPastMarks, logEnds, type LogMarks } from './log-recovery.js';
import { toLogRecord, type EventRecordContext } from './event-record.js';
import type { KafkaTopicSourceOptions } from './options.js';
import {
  fetchPartitions,
  type FetchWant,
  type GroupConsumer,
  type TopicLayout,
} from './partition-fetch.js';
import { RecordDecoder } from './record-decoder.js';
import { SchemaSync } from './schema-sync.js';

export interface KafkaTopicSourceStatus extends SourceStatus {
  /** Tombstones carried over (counted in eventsAccepted too). */
  tombstones: number;
  /** Records a crashed run had already appended, found in the log on replay and not appended again. */
  skippedDuplicates: number;
  /** True while a failure (registry down, log unreachable) holds the source back. */
  paused: boolean;
  /** Source topic → partition → records not yet in Freshet's log (end offset − position). */
  lag: Record<string, Record<number, number>>;
  /** Source topic → partition → next offset to read, for the partitions held now. */
  positions: Record<string, Record<number, number>>;
  /** Source topics read. */
  topics: string[];
}

interface Batch {
  /** Records by Freshet topic; a topic leaves the map once durable, so a retry skips it. */
  byTopic: Map<string, { records: LogRecord[]; rejected: number; tombstones: number }>;
  /** Source partitions and the position each reaches once the batch is durable. */
  advance: FetchWant[];
  /** Every Freshet topic the batch writes (byTopic empties as they become durable). */
  topics: string[];
  /** Ids found in the log by crash recovery, so not appended again. */
  skippedIds: string[];
}

const EARLIEST = -2n;
const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class KafkaTopicSource implements Source {
  readonly name: string;
  private consumer: GroupConsumer | null = null;
  private admin: Admin | null = null;
  private decoder: RecordDecoder;
  private ctx: EventRecordContext | null = null;
  private cluster = '';
  private topics: string[] = [];
  private layout = new Map<string, TopicLayout>();
  /** Positions of the partitions this source holds now. */
  private readonly owned = new Map<string, FetchWant>();
  /** Every position this source saved (a lower bound of what is durable, held or not). */
  private saved: Record<string, Record<string, number>> = {};
  /** Where the log ended once each Freshet topic's last batch was durable. */
  private marks: LogMarks = {};
  /** Partitions of each Freshet topic this source writes. */
  private readonly targetPartitions = new Map<string, number>();
  /** Ids of records appended after the last checkpoint by a run that crashed: skipped on replay. */
  private recovered = new Set<string>();
  /** Records found already in the log on replay and not appended again. */
  private skipped = 0;
  private readonly ends = new Map<string, number>();
  private inflight: Batch | null = null;
  private state: SourceStatus['state'] = 'idle';
  private stopping = false;
  private killed = false;
  private paused = false;
  private accepted = 0;
  private rejected = 0;
  private tombstones = 0;
  private lastError: string | null = null;
  private running: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private lastTopicRefresh = 0;

  constructor(private readonly opts: KafkaTopicSourceOptions) {
    this.name = opts.name ?? 'kafka';
    if (!opts.topics?.length && opts.topicPattern === undefined) {
      throw new Error(`Kafka source ${this.name}: give topics or topicPattern`);
    }
    if (opts.brokers.length === 0) throw new Error(`Kafka source ${this.name}: no brokers`);
    if (opts.registerSchemas && !(opts.registry && opts.sourceRegistry)) {
      throw new Error(
        `Kafka source ${this.name}: registerSchemas needs registry and sourceRegistry`,
      );
    }
    this.decoder = new RecordDecoder({
      format: opts.format ?? 'auto',
      ...(opts.sourceRegistry ? { sourceRegistry: opts.sourceRegistry } : {}),
      ...(opts.decimalFormat ? { decimalFormat: opts.decimalFormat } : {}),
    });
  }

  /** A Confluent-compatible registry at `url`, for `sourceRegistry`. */
  static registryAt(url: string, headers?: Record<string, string>): ExternalRegistry {
    return new ExternalRegistry(url, headers ? { headers } : {});
  }

  async start(): Promise<void> {
    if (this.state === 'running') return;
    // A stopped source may be started again: it resumes from its checkpoint like a new one.
    this.stopping = false;
    this.killed = false;
    this.owned.clear();
    this.ends.clear();
    this.inflight = null;
    const kafka = await import('@platformatic/kafka');
    const base = {
      clientId: this.opts.clientId ?? `freshet-${this.name}`,
      bootstrapBrokers: this.opts.brokers,
      timeout: 10_000,
      retries: 3,
      retryDelay: 250,
      autocreateTopics: false,
    };
    const consumer = new kafka.Consumer<Buffer, Buffer, Buffer, Buffer>({
      ...base,
      groupId: this.opts.groupId,
    });
    this.consumer = consumer;
    try {
      if (this.opts.topicPattern !== undefined) this.admin = new kafka.Admin(base);
      const md = await consumer.metadata({ topics: [] });
      this.cluster = this.opts.cluster ?? md.id;
      this.ctx = {
        sourceName: this.name,
        cluster: this.cluster,
        decoder: this.decoder,
        ...(this.opts.registry ? { registry: this.opts.registry } : {}),
        headerPrefix: this.opts.headerPrefix ?? 'kafka.header.',
        ...(this.opts.registerSchemas && this.opts.registry && this.opts.sourceRegistry
          ? {
              schemaSync: new SchemaSync({
                source: this.opts.sourceRegistry,
                target: this.opts.registry,
                decimalFormat: this.opts.decimalFormat ?? 'string',
                compatibility:
                  this.opts.schemaCompatibility === undefined
                    ? 'NONE'
                    : this.opts.schemaCompatibility,
                onError: (err) => this.report(err),
                ...(this.opts.onProgress ? { onProgress: this.opts.onProgress } : {}),
              }),
            }
          : {}),
      };
      const cp = await loadKafkaCheckpoint(this.opts.checkpointPath);
      if (cp && cp.cluster !== this.cluster) {
        throw new Error(
          `the checkpoint ${this.opts.checkpointPath} belongs to cluster ${cp.cluster}, not ${this.cluster}; ` +
            'point the source at its own checkpoint file',
        );
      }
      this.saved = cp?.positions ?? {};
      this.marks = cp?.logMarks ?? {};
      this.topics = await this.resolveTopics();
      if (this.topics.length === 0) throw new Error(`Kafka source ${this.name}: no topic matches`);
      await this.prepare(this.topics);
      this.recovered = await idsPastMarks(this.opts.log, this.marks, `kafka:${this.cluster}:`);
      if (this.recovered.size > 0) {
        this.opts.onProgress?.(
          `${this.name}: ${this.recovered.size} records reached the log after the last checkpoint; they are not appended again`,
        );
      }
      await this.markTopics([...this.topics.map((t) => this.target(t)), QUARANTINE_TOPIC]);
      await this.join();
    } catch (err) {
      await this.closeClients();
      this.state = 'failed';
      this.report(err);
      throw err;
    }
    this.state = 'running';
    this.opts.onProgress?.(
      `${this.name}: reading ${this.topics.join(', ')} from ${this.opts.brokers.join(',')} as group ${this.opts.groupId}`,
    );
    this.running = this.run();
  }

  /** Waits for the batch in hand to be durable and its position saved, then leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    if (this.state === 'running' && !this.inflight && !this.killed) {
      // Nothing is pending: the log's ends now bound what a later crash recovery has to read
      // (other writers may have moved them since this source's last batch).
      try {
        Object.assign(
          this.marks,
          await logEnds(this.opts.log, Object.keys(this.marks), this.targetPartitions),
        );
        await this.saveCheckpoint();
      } catch (err) {
        this.report(err); // the older marks stay valid, only further back
      }
    }
    await this.closeClients();
    if (this.state !== 'failed') this.state = 'stopped';
  }

  /** As a crash (tests): nothing more is appended, saved or committed; the group is not left. */
  async kill(): Promise<void> {
    this.killed = true;
    this.stopping = true;
    this.wake?.();
    const c = this.consumer;
    this.consumer = null;
    if (c) await new Promise<void>((resolve) => c.close(true, () => resolve()));
    await this.admin?.close().catch(() => undefined);
    this.state = 'stopped';
  }

  status(): KafkaTopicSourceStatus {
    const lag: Record<string, Record<number, number>> = {};
    const positions: Record<string, Record<number, number>> = {};
    let position = 0;
    for (const [k, w] of this.owned) {
      (positions[w.topic] ??= {})[w.partition] = w.offset;
      const end = this.ends.get(k);
      if (end !== undefined) (lag[w.topic] ??= {})[w.partition] = Math.max(0, end - w.offset);
      position += w.offset;
    }
    return {
      name: this.name,
      state: this.state,
      eventsAccepted: this.accepted,
      eventsRejected: this.rejected,
      position,
      lastError: this.lastError,
      tombstones: this.tombstones,
      skippedDuplicates: this.skipped,
      paused: this.paused,
      lag,
      positions,
      topics: [...this.topics],
    };
  }

  /** The partitions the group gave this source now, per source topic. */
  assigned(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const w of this.owned.values()) (out[w.topic] ??= []).push(w.partition);
    for (const list of Object.values(out)) list.sort((a, b) => a - b);
    return out;
  }

  private target(topic: string): string {
    const t = this.opts.targetTopics;
    if (typeof t === 'function') return t(topic);
    return t?.[topic] ?? topic;
  }

  private async resolveTopics(): Promise<string[]> {
    if (this.opts.topics?.length) return [...this.opts.topics];
    const p = this.opts.topicPattern!;
    const re = typeof p === 'string' ? new RegExp(`^(?:${p})$`) : p;
    const names = await this.admin!.listTopics();
    this.lastTopicRefresh = Date.now();
    return names.filter((n) => !n.startsWith('__') && re.test(n)).sort();
  }

  /** Source topic layout, and the Freshet topics their events and bad records go to. */
  private async prepare(topics: string[]): Promise<void> {
    await this.refreshLayout(topics);
    for (const t of topics) {
      const partitions = this.opts.targetPartitions ?? this.layout.get(t)!.leaders.length;
      await this.opts.log.createTopic(this.target(t), { partitions });
    }
    await this.opts.log.createTopic(QUARANTINE_TOPIC, { partitions: 1 });
    // An existing topic keeps its partition count, whatever was asked.
    for (const info of await this.opts.log.topics())
      this.targetPartitions.set(info.name, info.partitions);
  }

  /**
   * Marks where the log ends now for Freshet topics the checkpoint has no mark for yet, and saves
   * it before anything is read, so even a crash before the first batch's checkpoint is recovered.
   */
  private async markTopics(targets: string[]): Promise<void> {
    const fresh = [...new Set(targets)].filter((t) => this.marks[t] === undefined);
    if (fresh.length === 0) return;
    Object.assign(this.marks, await logEnds(this.opts.log, fresh, this.targetPartitions));
    await this.saveCheckpoint();
  }

  private saveCheckpoint(): Promise<void> {
    return saveKafkaCheckpoint(this.opts.checkpointPath, {
      version: 1,
      cluster: this.cluster,
      positions: this.saved,
      logMarks: this.marks,
    });
  }

  private async refreshLayout(topics = this.topics): Promise<void> {
    const md = await this.consumer!.metadata({
      topics,
      forceUpdate: true,
      autocreateTopics: false,
    });
    for (const t of topics) {
      const m = md.topics.get(t);
      if (!m) throw new Error(`topic ${t} does not exist on ${this.opts.brokers.join(',')}`);
      this.layout.set(t, { id: m.id, leaders: m.partitions.map((p) => p.leader) });
    }
  }

  private async join(): Promise<void> {
    const consumer = this.consumer!;
    consumer.topics.trackAll(...this.topics);
    const session = this.opts.sessionTimeoutMs ?? 10_000;
    await consumer.joinGroup({
      sessionTimeout: session,
      rebalanceTimeout: session,
      heartbeatInterval: Math.max(100, Math.floor(session / 5)),
    });
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        const moved = await this.round();
        this.paused = false;
        if (!moved) await this.sleep(50);
      } catch (err) {
        if (this.killed) return;
        this.paused = true;
        this.report(err);
        await this.sleep(this.opts.retryDelayMs ?? 1000);
      }
    }
  }

  /** One batch: fetch what the held partitions have, convert, append, save, commit. */
  private async round(): Promise<boolean> {
    if (this.inflight) {
      await this.finish(this.inflight);
      return true;
    }
    await this.maybeRefreshTopics();
    await this.syncAssignment();
    const wants = [...this.owned.values()];
    if (wants.length === 0) return false;
    let fetched;
    try {
      fetched = await fetchPartitions(this.consumer!, this.layout, wants, {
        maxRecordsPerPartition: this.opts.maxRecordsPerPartition ?? 5000,
        maxBytesPerPartition: this.opts.maxBytesPerPartition ?? 1024 * 1024,
        maxWaitMs: this.opts.pollWaitMs ?? 500,
      });
    } catch (err) {
      // A moved leader, or a position retention deleted: fresh metadata, checked positions.
      await this.refreshLayout().catch(() => undefined);
      await this.checkRanges(wants).catch(() => undefined);
      throw err;
    }
    const batch: Batch = { byTopic: new Map(), advance: [], topics: [], skippedIds: [] };
    for (const part of fetched) {
      const k = key(part.topic, part.partition);
      this.ends.set(k, part.end);
      const target = this.target(part.topic);
      for (const raw of part.records) {
        const c = await toLogRecord(this.ctx!, part.topic, target, part.partition, raw);
        const id = c.record.headers?.['freshet.event-id'];
        if (id !== undefined && this.recovered.has(id)) {
          // Durable already: a crashed run appended it after its last checkpoint. Forgotten only
          // once this batch is done, as a batch given up on (a pause) is read again.
          batch.skippedIds.push(id);
          continue;
        }
        let entry = batch.byTopic.get(c.topic);
        if (!entry)
          batch.byTopic.set(c.topic, (entry = { records: [], rejected: 0, tombstones: 0 }));
        entry.records.push(c.record);
        if (c.rejected) entry.rejected++;
        if (c.record.headers?.['freshet.tombstone'] === 'true') entry.tombstones++;
      }
      if (part.next > part.offset)
        batch.advance.push({ topic: part.topic, partition: part.partition, offset: part.next });
    }
    if (batch.advance.length === 0) return false;
    batch.topics = [...batch.byTopic.keys()];
    this.inflight = batch;
    await this.finish(batch);
    return true;
  }

  /** Appends what is not yet durable, then saves positions, then commits them to the group. */
  private async finish(batch: Batch): Promise<void> {
    for (const [topic, entry] of batch.byTopic) {
      if (this.killed) return;
      const started = performance.now();
      await this.opts.log.append(topic, entry.records);
      this.opts.metrics?.logAppendSeconds.observe((performance.now() - started) / 1000);
      batch.byTopic.delete(topic);
      const good = entry.records.length - entry.rejected;
      this.accepted += good;
      this.rejected += entry.rejected;
      this.tombstones += entry.tombstones;
      if (good > 0) this.opts.metrics?.eventsAccepted.inc({ topic }, good);
      if (entry.rejected > 0) {
        // Counted under the topic the events were going to, as the other sources count them.
        for (const r of entry.records) {
          const target = r.headers?.['freshet.topic'];
          if (target !== undefined) this.opts.metrics?.eventsRejected.inc({ topic: target });
        }
      }
    }
    if (this.killed) return;
    await this.opts.beforeCheckpoint?.();
    if (this.killed) return;
    for (const w of batch.advance) {
      const topicPositions = (this.saved[w.topic] ??= {});
      topicPositions[w.partition] = Math.max(topicPositions[w.partition] ?? 0, w.offset);
      const held = this.owned.get(key(w.topic, w.partition));
      if (held) held.offset = Math.max(held.offset, w.offset);
    }
    Object.assign(this.marks, await logEnds(this.opts.log, batch.topics, this.targetPartitions));
    await this.saveCheckpoint();
    this.inflight = null;
    for (const id of batch.skippedIds) this.recovered.delete(id);
    this.skipped += batch.skippedIds.length;
    // Only partitions still held: committing one another member took over could move its
    // offset back.
    const offsets = batch.advance
      .filter((w) => this.owned.has(key(w.topic, w.partition)))
      .map((w) => ({
        topic: w.topic,
        partition: w.partition,
        offset: BigInt(w.offset),
        leaderEpoch: -1,
      }));
    if (offsets.length > 0 && !this.killed) {
      // Informational (lag tools); a rebalance may refuse it, and the checkpoint already holds it.
      await this.consumer?.commit({ offsets }).catch(() => undefined);
    }
  }

  /** Follows the group's assignment: drops lost partitions, positions newly assigned ones. */
  private async syncAssignment(): Promise<void> {
    const now = new Map<string, { topic: string; partition: number }>();
    for (const a of this.consumer!.assignments ?? []) {
      if (!this.topics.includes(a.topic)) continue;
      for (const p of a.partitions) now.set(key(a.topic, p), { topic: a.topic, partition: p });
    }
    for (const k of [...this.owned.keys()]) {
      if (!now.has(k)) {
        this.owned.delete(k);
        this.ends.delete(k);
      }
    }
    const fresh = [...now].filter(([k]) => !this.owned.has(k)).map(([, v]) => v);
    if (fresh.length === 0) return;
    const byTopic = new Map<string, number[]>();
    for (const f of fresh) byTopic.set(f.topic, [...(byTopic.get(f.topic) ?? []), f.partition]);
    const committed = await this.consumer!.listCommittedOffsets({
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    });
    const unknown: { topic: string; partition: number }[] = [];
    for (const f of fresh) {
      const fromGroup = Number(committed.get(f.topic)?.[f.partition] ?? -1n);
      const fromCheckpoint = this.saved[f.topic]?.[f.partition] ?? -1;
      const at = Math.max(fromGroup, fromCheckpoint);
      if (at >= 0) this.owned.set(key(f.topic, f.partition), { ...f, offset: at });
      else unknown.push(f);
    }
    if (unknown.length > 0) {
      const offsets = await this.listOffsets(
        unknown,
        this.opts.startFrom === 'latest' ? undefined : EARLIEST,
      );
      for (const f of unknown) {
        this.owned.set(key(f.topic, f.partition), {
          ...f,
          offset: offsets.get(key(f.topic, f.partition)) ?? 0,
        });
      }
    }
  }

  private async listOffsets(
    parts: { topic: string; partition: number }[],
    timestamp: bigint | undefined,
  ): Promise<Map<string, number>> {
    const partitions: Record<string, number[]> = {};
    for (const p of parts) (partitions[p.topic] ??= []).push(p.partition);
    const res = await this.consumer!.listOffsets({
      topics: Object.keys(partitions),
      partitions,
      isolationLevel: 1,
      ...(timestamp === undefined ? {} : { timestamp }),
    });
    const out = new Map<string, number>();
    for (const p of parts) {
      const o = res.get(p.topic)?.[p.partition];
      if (o !== undefined) out.set(key(p.topic, p.partition), Number(o));
    }
    return out;
  }

  /**
   * A position before the oldest record still held (retention deleted what the source had not
   * read) moves to the oldest one, loudly: those records are gone at the source.
   */
  private async checkRanges(wants: FetchWant[]): Promise<void> {
    const earliest = await this.listOffsets(wants, EARLIEST);
    for (const w of wants) {
      const start = earliest.get(key(w.topic, w.partition));
      const held = this.owned.get(key(w.topic, w.partition));
      if (start !== undefined && held && held.offset < start) {
        this.report(
          new Error(
            `${w.topic}/${w.partition}: offsets ${held.offset}..${start - 1} were deleted at the source before they were read; continuing at ${start}`,
          ),
        );
        held.offset = start;
      }
    }
  }

  /** With a topicPattern, new matching topics join the subscription (the group rebalances). */
  private async maybeRefreshTopics(): Promise<void> {
    if (!this.admin || Date.now() - this.lastTopicRefresh < (this.opts.topicRefreshMs ?? 30_000))
      return;
    const topics = await this.resolveTopics();
    const added = topics.filter((t) => !this.topics.includes(t));
    if (added.length === 0) return;
    await this.prepare(added);
    await this.markTopics(added.map((t) => this.target(t)));
    this.topics.push(...added);
    await this.join();
    this.opts.onProgress?.(`${this.name}: now also reading ${added.join(', ')}`);
  }

  private report(err: unknown): void {
    this.lastError = err instanceof Error ? err.message : String(err);
    if (err instanceof RegistryError && err.retriable) {
      this.lastError = `registry unavailable, paused: ${this.lastError}`;
    }
    this.opts.metrics?.errors.inc({ stage: 'source' });
    this.opts.onError?.(err);
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private async closeClients(): Promise<void> {
    const c = this.consumer;
    this.consumer = null;
    await c?.close().catch(() => undefined);
    await this.admin?.close().catch(() => undefined);
    this.admin = null;
  }
}
