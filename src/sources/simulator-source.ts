import { readFile } from 'node:fs/promises';
import type { Log, LogRecord } from '../log/index.js';
import type { Metrics } from '../observe/index.js';
import { encodeWire, subjectForTopic, type SchemaRegistry } from '../registry/index.js';
import { formatIst, Prng, Simulator, TOPICS, shuffle, type SimEvent } from '../retail/index.js';
import {
  applyFaults,
  DEFAULT_SILENT_AFTER,
  NO_FAULTS,
  silentStoreIds,
  type FeedFaults,
} from './feed-faults.js';
import type { Source, SourceStatus } from './source.js';
import { writeFileAtomic } from './checkpoint-file.js';

/** Topic where events that fail validation are kept, with the reason, instead of being dropped. */
export const QUARANTINE_TOPIC = 'freshet.quarantine';

export interface SimulatorSourceOptions {
  log: Log;
  registry: SchemaRegistry;
  metrics: Metrics;
  /** Where the source keeps its position (a small JSON file, replaced atomically). */
  checkpointPath: string;
  seed: number;
  stores: number;
  skus: number;
  /** Operational events per second; master data is sent as a burst first. */
  rate: number;
  partitions: number;
  maxEvents?: number;
  tickMs?: number;
  onError?: (err: unknown) => void;
  /** Faults to inject, as real feeds have them (default: none). */
  faults?: FeedFaults;
  /** Told about long steps (resuming a long stream fast-forwards the simulator). */
  onProgress?: (message: string) => void;
  /**
   * Frame each accepted event in Confluent's wire format (magic byte 0, 4-byte schema id, then
   * the JSON), as producers on Kafka do, so Confluent consumers and tools read Freshet's topics.
   * Events the registry refused go to the quarantine topic unframed (they have no schema id).
   */
  wireFormat?: boolean;
  /**
   * Replay the calendar from `start` (epoch ms) to `end` on the simulator's own clock, at `speed`
   * simulated seconds per second ('max': as fast as `rate` allows). Default: a live stream.
   */
  replay?: { start: number; end: number; speed: number | 'max' };
}

/** Events generated but not yet durable, by topic; retried as they are after a failure. */
/** Where one event goes: its topic, or quarantine when it failed validation. */
interface Verdict {
  rejected: boolean;
  sourceTopic: string;
  topic: string;
  record: LogRecord;
}

interface Batch {
  records: Map<string, LogRecord[]>;
  nextSeq: number;
  /** Topics whose append failed once: part of it may have landed (some partitions did). */
  failed: Set<string>;
}

/** What the simulator source saves after each durable batch. */
interface Checkpoint {
  seed: number;
  stores: number;
  skus: number;
  /** The first sequence number not yet known to be in the log. */
  nextSeq: number;
  /** End offset of every topic partition when nextSeq was saved. */
  logEnds: Record<string, number[]>;
  /** The replay's start (epoch ms); absent for a live stream. */
  replayStart?: number;
}

export class SimulatorMismatchError extends Error {
  override name = 'SimulatorMismatchError';
}

/**
 * Runs the retail simulator as a source. Exactly-once into the log across crashes: each event
 * carries its sequence number in a header; after each batch is durable the source saves the next
 * sequence number and the log's end offsets. After a crash, events appended after the last save
 * are found by reading the log from the saved end offsets, and are skipped when the deterministic
 * stream is regenerated, so nothing is lost and nothing is appended twice.
 */
export class SimulatorSource implements Source {
  readonly name = 'simulator';
  private readonly sim: Simulator;
  private state: SourceStatus['state'] = 'idle';
  private accepted = 0;
  private rejected = 0;
  private nextSeq = 0;
  private lastError: string | null = null;
  private skip = new Set<number>();
  /**
   * The log ends recovery scanned from, kept while `skip` is not empty: the events still to be
   * skipped sit beyond them, so a position saved meanwhile must not claim more of the log, or a
   * crash before they are all skipped would hide them from the next recovery (and send them twice).
   */
  private scannedFrom: Record<string, number[]> | null = null;
  /** Each partition's end when the last checkpoint was taken: a failed batch landed after it. */
  private lastEnds: Record<string, number[]> = {};
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private startedAt = 0;
  private operationalAtStart = 0;
  private operationalSent = 0;
  private pending: SimEvent | null = null;
  /** Replay: the event time of `pending`. */
  private pendingDue = 0;
  private inflight: Batch | null = null;
  private committedSeq = 0;
  /** Replay: the simulated time at which this run started pacing. */
  private replayBase = 0;

  private readonly faults: FeedFaults;
  private readonly silent: Set<string>;
  private readonly silentFrom: number;

  constructor(private readonly opts: SimulatorSourceOptions) {
    this.faults = opts.faults ?? NO_FAULTS;
    this.sim = new Simulator({
      seed: opts.seed,
      stores: opts.stores,
      skus: opts.skus,
      ...(opts.replay ? { start: opts.replay.start } : {}),
    });
    this.silent = silentStoreIds(
      this.sim.stores.map((s) => s.store_id),
      this.faults.silentStores ?? 0,
      opts.seed,
    );
    this.silentFrom =
      this.sim.stores.length +
      this.sim.catalog.length +
      (this.faults.silentAfter ?? DEFAULT_SILENT_AFTER);
  }

  /** The stores the silent-store fault cut off (empty without it). */
  get silentStores(): string[] {
    return [...this.silent].sort();
  }

  /** Registers each topic's schema and creates the topics. */
  private async prepareTopics(): Promise<void> {
    for (const t of TOPICS) {
      await this.opts.registry.register(subjectForTopic(t.topic), {
        schemaType: 'JSON',
        schema: JSON.stringify(t.schema),
      });
      await this.opts.log.createTopic(t.topic, { partitions: this.opts.partitions });
    }
    await this.opts.log.createTopic(QUARANTINE_TOPIC, { partitions: 1 });
  }

  /**
   * The saved position. Without one (a new data dir, or a file lost or damaged by a machine
   * crash) recovery scans the whole log instead: slower, but it still finds every event already
   * appended, so nothing is sent twice.
   */
  private async loadCheckpoint(): Promise<Checkpoint> {
    const scanAll: Checkpoint = {
      seed: this.opts.seed,
      stores: this.opts.stores,
      skus: this.opts.skus,
      nextSeq: 0,
      logEnds: {},
      ...(this.opts.replay ? { replayStart: this.opts.replay.start } : {}),
    };
    let text: string;
    try {
      text = await readFile(this.opts.checkpointPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return scanAll;
      throw err;
    }
    try {
      return JSON.parse(text) as Checkpoint;
    } catch {
      this.opts.onProgress?.(
        `the simulator's saved position (${this.opts.checkpointPath}) is damaged; scanning the log instead`,
      );
      return scanAll;
    }
  }

  private async saveCheckpoint(): Promise<void> {
    if (this.skip.size === 0) this.scannedFrom = null;
    const logEnds: Record<string, number[]> = {};
    for (const t of await this.opts.log.topics()) {
      const ends: number[] = [];
      for (let p = 0; p < t.partitions; p++) {
        const end = await this.opts.log.endOffset(t.name, p);
        ends.push(this.scannedFrom ? Math.min(end, this.scannedFrom[t.name]?.[p] ?? 0) : end);
      }
      logEnds[t.name] = ends;
    }
    const cp: Checkpoint = {
      seed: this.opts.seed,
      stores: this.opts.stores,
      skus: this.opts.skus,
      nextSeq: this.committedSeq,
      logEnds,
      ...(this.opts.replay ? { replayStart: this.opts.replay.start } : {}),
    };
    this.lastEnds = logEnds;
    await writeFileAtomic(this.opts.checkpointPath, JSON.stringify(cp));
  }

  /** Finds the sequence numbers appended after the last checkpoint (a batch in flight at a crash). */
  private async recover(cp: Checkpoint): Promise<void> {
    const { seed, stores, skus } = this.opts;
    if (cp.seed !== seed || cp.stores !== stores || cp.skus !== skus) {
      throw new SimulatorMismatchError(
        `this data dir holds a simulated stream with --seed ${cp.seed} --stores ${cp.stores} --skus ${cp.skus}; ` +
          `run with those values to continue it, or use a new --data-dir for a different stream`,
      );
    }
    const replayStart = this.opts.replay?.start;
    if (cp.nextSeq > 0 && cp.replayStart !== replayStart) {
      const held =
        cp.replayStart === undefined
          ? 'a live simulated stream'
          : `a replay from ${formatIst(cp.replayStart)}`;
      const asked =
        replayStart === undefined ? 'a live stream' : `a replay from ${formatIst(replayStart)}`;
      throw new SimulatorMismatchError(
        `this data dir holds ${held}, not ${asked}; use a new --data-dir for a different stream`,
      );
    }
    this.nextSeq = cp.nextSeq;
    this.committedSeq = cp.nextSeq;
    this.lastEnds = cp.logEnds;
    for (const t of await this.opts.log.topics()) {
      for (let p = 0; p < t.partitions; p++) {
        let offset = cp.logEnds[t.name]?.[p] ?? 0;
        for (;;) {
          const records = await this.opts.log.read(t.name, p, offset, { maxRecords: 10_000 });
          if (records.length === 0) break;
          for (const r of records) {
            const seq = Number(r.headers['freshet.seq']);
            if (Number.isInteger(seq) && seq >= cp.nextSeq) this.skip.add(seq);
          }
          offset = records[records.length - 1]!.offset + 1;
        }
      }
    }
    if (this.skip.size > 0) this.scannedFrom = cp.logEnds;
    this.sim.skipTo(this.nextSeq);
  }

  async start(): Promise<void> {
    await this.prepareTopics();
    const started = performance.now();
    await this.recover(await this.loadCheckpoint());
    if (this.nextSeq > 0 || this.skip.size > 0) {
      this.opts.onProgress?.(
        `simulator resumed at event ${this.nextSeq}${this.skip.size > 0 ? ` (${this.skip.size} events already in the log are not sent again)` : ''} in ${Math.round(performance.now() - started)} ms`,
      );
    }
    this.state = 'running';
    this.startedAt = performance.now();
    this.operationalAtStart = this.operationalSent;
    this.replayBase = this.sim.nextEventMs ?? 0;
    this.schedule();
  }

  private schedule(): void {
    if (this.state !== 'running') return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((err) => {
          this.lastError = err instanceof Error ? err.message : String(err);
          this.opts.metrics.errors.inc({ stage: 'source' });
          this.opts.onError?.(err);
        })
        .finally(() => {
          this.running = null;
          this.schedule();
        });
    }, this.opts.tickMs ?? 50);
  }

  /**
   * One batch: as many events as the rate allows, appended durably, then the checkpoint. A batch
   * whose append fails is kept and retried as it is on the next tick (topics already appended are
   * not appended again), so a failing disk pauses the source instead of losing events.
   */
  private async tick(): Promise<void> {
    if (!this.inflight) this.inflight = await this.generate();
    const batch = this.inflight;
    if (batch.records.size > 0) {
      const started = performance.now();
      const results = await Promise.allSettled(
        [...batch.records].map(async ([topic, all]) => {
          const records = batch.failed.has(topic) ? await this.notLanded(topic, all) : all;
          try {
            if (records.length > 0) await this.opts.log.append(topic, records);
          } catch (err) {
            batch.failed.add(topic);
            throw err;
          }
          batch.records.delete(topic);
          if (topic === QUARANTINE_TOPIC) return;
          this.opts.metrics.eventsAccepted.inc({ topic }, all.length);
          this.accepted += all.length;
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      this.opts.metrics.logAppendSeconds.observe((performance.now() - started) / 1000);
    }
    this.inflight = null;
    if (batch.nextSeq !== this.committedSeq) {
      this.committedSeq = batch.nextSeq;
      await this.saveCheckpoint();
    }
  }

  /**
   * The records of a failed append that are not in the log. An append spans partitions, and a
   * failure (a full disk, a broker restart) can come after some partitions took their records:
   * those must not be appended again. Each landed copy cancels one record with the same sequence
   * number and event id (the duplicate fault sends some events twice on purpose).
   */
  private async notLanded(topic: string, records: LogRecord[]): Promise<LogRecord[]> {
    const landed = new Map<string, number>();
    const key = (h: Record<string, string> | undefined) =>
      `${h?.['freshet.seq']}|${h?.['freshet.event-id']}`;
    const partitions =
      (await this.opts.log.topics()).find((t) => t.name === topic)?.partitions ?? 0;
    for (let p = 0; p < partitions; p++) {
      let offset = this.lastEnds[topic]?.[p] ?? 0;
      for (;;) {
        const got = await this.opts.log.read(topic, p, offset, { maxRecords: 10_000 });
        if (got.length === 0) break;
        for (const r of got) {
          if (Number(r.headers['freshet.seq']) >= this.committedSeq)
            landed.set(key(r.headers), (landed.get(key(r.headers)) ?? 0) + 1);
        }
        offset = got[got.length - 1]!.offset + 1;
      }
    }
    return records.filter((r) => {
      const n = landed.get(key(r.headers)) ?? 0;
      if (n === 0) return true;
      landed.set(key(r.headers), n - 1);
      return false;
    });
  }

  private async generate(): Promise<Batch> {
    const elapsed = (performance.now() - this.startedAt) / 1000;
    const replay = this.opts.replay;
    // A paced replay sends what its clock has reached; a live stream (or a replay at 'max')
    // what the rate allows.
    const paced = replay !== undefined && replay.speed !== 'max';
    const simNow = paced ? this.replayBase + elapsed * 1000 * (replay.speed as number) : Infinity;
    let budget = paced
      ? 50_000
      : Math.min(
          Math.floor(elapsed * this.opts.rate) - (this.operationalSent - this.operationalAtStart),
          50_000,
        );
    const records = new Map<string, LogRecord[]>();
    const add = (topic: string, record: LogRecord) => {
      const list = records.get(topic) ?? [];
      list.push(record);
      records.set(topic, list);
    };
    let produced = 0;
    while (produced < 20_000) {
      if (this.opts.maxEvents !== undefined && this.nextSeq >= this.opts.maxEvents) {
        this.state = 'finished';
        break;
      }
      const due = this.pending ? this.pendingDue : (this.sim.nextEventMs ?? 0);
      if (replay && due >= replay.end) {
        this.state = 'finished'; // the replayed days are over
        break;
      }
      if (due > simNow) break; // not yet: the replay's clock has not reached it
      const event = this.pending ?? this.sim.next();
      this.pending = null;
      const master = this.sim.isMaster(event);
      if (!master && budget <= 0) {
        this.pending = event; // the stream is generated once: keep it for the next tick
        this.pendingDue = due;
        break;
      }
      if (this.skip.has(event.seq)) {
        // Appended before a crash, after the last checkpoint.
        this.skip.delete(event.seq);
      } else if (
        event.seq >= this.silentFrom &&
        this.silent.has(event.value.store_id as string) &&
        !master
      ) {
        // The silent-store fault: this store's connection is dead; nothing of it arrives.
      } else {
        const copies = master ? [event] : applyFaults(event, this.faults, this.opts.seed);
        let verdicts: Verdict[];
        try {
          verdicts = [];
          for (const copy of copies) verdicts.push(await this.toRecord(copy));
        } catch (err) {
          // Validation could not run (an external registry that is down): the event is kept
          // for the next tick, and what this batch already holds goes out now.
          this.pending = event;
          this.pendingDue = due;
          if (produced === 0) throw err;
          this.lastError = err instanceof Error ? err.message : String(err);
          break;
        }
        for (const v of verdicts) {
          if (v.rejected) {
            this.rejected++;
            this.opts.metrics.eventsRejected.inc({ topic: v.sourceTopic });
          }
          add(v.topic, v.record);
        }
        produced++;
      }
      if (!master) {
        budget--;
        this.operationalSent++;
      }
      this.nextSeq = event.seq + 1;
    }
    if (this.faults.shuffle) {
      const rng = new Prng(this.opts.seed, `shuffle:${this.nextSeq}`);
      for (const list of records.values()) shuffle(rng, list);
    }
    return { records, nextSeq: this.nextSeq, failed: new Set() };
  }

  /** An event as a log record; no counting here, so a batch cut short counts nothing twice. */
  private async toRecord(event: SimEvent): Promise<Verdict> {
    const value = Buffer.from(JSON.stringify(event.value));
    const headers: Record<string, string> = {
      'freshet.source': this.name,
      'freshet.seq': String(event.seq),
      'freshet.event-id': String(event.value.event_id),
    };
    const verdict = await this.opts.registry.validate(subjectForTopic(event.topic), event.value);
    if (!verdict.ok) {
      const reason = verdict.errors.join('; ');
      return {
        rejected: true,
        sourceTopic: event.topic,
        topic: QUARANTINE_TOPIC,
        record: {
          key: event.key,
          value,
          headers: { ...headers, 'freshet.topic': event.topic, 'freshet.error': reason },
        },
      };
    }
    headers['freshet.schema-id'] = String(verdict.schemaId);
    const framed = this.opts.wireFormat ? encodeWire(verdict.schemaId, value) : value;
    return {
      rejected: false,
      sourceTopic: event.topic,
      topic: event.topic,
      record: { key: event.key, value: framed, headers },
    };
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.state === 'running') this.state = 'stopped';
    while (this.running) await this.running;
    // A batch still in flight after the last tick failed stays unacknowledged; the log tail scan
    // on the next start finds whatever part of it landed.
    // Saving is an optimisation here (the next start would find the same by scanning the log
    // tail), so a failure is reported, not thrown.
    if (this.state !== 'idle' && !this.inflight) {
      await this.saveCheckpoint().catch((err) => {
        this.lastError = err instanceof Error ? err.message : String(err);
        this.opts.onError?.(err);
      });
    }
  }

  status(): SourceStatus {
    return {
      name: this.name,
      state: this.state,
      eventsAccepted: this.accepted,
      eventsRejected: this.rejected,
      position: this.nextSeq,
      lastError: this.lastError,
    };
  }
}
