// Remembers the idempotency keys a source's batches were accepted under, so a retry gets the
// first response back instead of appending again, also after a restart.
//
// The log is the truth, this file a summary of it: every event carries its key, index, batch
// size and body hash in headers. The file (`<dataDir>/<source>.keys.jsonl`) holds one line per
// accepted key and, now and then, a marker: the log end offsets up to which every batch of this
// source is in the file. On open, the log is scanned from the last marker (the whole topic
// without one), so a batch that was durable in the log but whose line never reached the disk —
// a crash between the two — is still found. Lines are therefore written without fsync, and a
// batch is never charged two fsyncs. A batch of which only part landed (a crash or disk error
// mid-append, across partitions) is kept as partial: its retry appends only the events missing.

import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppendResult, Log } from '../../log/index.js';
import { HEADER } from './event-ids.js';
import { buildReceipt, type IngestReceipt } from './receipt.js';
import { writeFileAtomic } from '../checkpoint-file.js';

interface Done {
  hash: string;
  at: number;
  receipt: IngestReceipt;
}

interface Partial {
  hash: string;
  count: number;
  landed: Map<number, AppendResult>;
}

type Line =
  | { t: string; k: string; h: string; at: number; r: IngestReceipt }
  | { m: Record<string, number[]> };

export interface IdempotencyStoreOptions {
  dataDir: string;
  source: string;
  log: Log;
  /** The topics this source may have written (those existing in the log now). */
  topics: string[];
  ttlMs: number;
  /** Write a marker after this many accepted batches (when no append is in flight). */
  markerEvery?: number;
}

const id = (topic: string, key: string) => `${topic}\u0000${key}`;

export class IdempotencyStore {
  private readonly done = new Map<string, Done>();
  private readonly partial = new Map<string, Partial>();
  private readonly busy = new Set<string>();
  /** Topic → per-partition offsets below which every batch of ours is in `done`. */
  private readonly ends = new Map<string, number[]>();
  private readonly topics = new Set<string>();
  private appending = 0;
  private appendsStarted = 0;
  private sinceMarker = 0;
  private writes: Promise<unknown> = Promise.resolve();
  private file: FileHandle | null = null;

  private constructor(
    private readonly opts: IdempotencyStoreOptions,
    private readonly path: string,
  ) {}

  static async open(opts: IdempotencyStoreOptions): Promise<IdempotencyStore> {
    await mkdir(opts.dataDir, { recursive: true });
    const store = new IdempotencyStore(opts, join(opts.dataDir, `${opts.source}.keys.jsonl`));
    await store.load();
    for (const topic of opts.topics) await store.scan(topic);
    await store.compact();
    return store;
  }

  private async load(): Promise<void> {
    let text = '';
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const oldest = Date.now() - this.opts.ttlMs;
    for (const raw of text.split('\n')) {
      if (raw === '') continue;
      let line: Line;
      try {
        line = JSON.parse(raw) as Line;
      } catch {
        continue; // a line torn by a crash: the log scan finds its batch again
      }
      if ('m' in line) {
        for (const [topic, ends] of Object.entries(line.m)) this.ends.set(topic, ends);
      } else if (line.at >= oldest) {
        this.done.set(id(line.t, line.k), { hash: line.h, at: line.at, receipt: line.r });
      }
    }
  }

  /**
   * Reads the topic from the last marker to its end and adopts every batch of this source that
   * is not in `done`: complete ones into `done` (and the file), the rest as partial.
   */
  async scan(topic: string): Promise<void> {
    this.topics.add(topic);
    const { log, source } = this.opts;
    const found = new Map<string, Partial & { at: number; key: string }>();
    const known = (await log.topics()).find((t) => t.name === topic);
    if (!known) return;
    for (let p = 0; p < known.partitions; p++) {
      let offset = Math.max(this.ends.get(topic)?.[p] ?? 0, await log.startOffset(topic, p));
      for (;;) {
        const records = await log.read(topic, p, offset, { maxRecords: 10_000 });
        if (records.length === 0) break;
        for (const r of records) {
          const key = r.headers[HEADER.key];
          if (key === undefined || r.headers['freshet.source'] !== source) continue;
          const k = id(topic, key);
          if (this.done.has(k)) continue;
          let entry = found.get(k);
          if (!entry) {
            const prior = this.partial.get(k);
            entry = {
              key,
              hash: r.headers[HEADER.hash] ?? '',
              count: Number(r.headers[HEADER.count]),
              landed: new Map(prior?.landed ?? []),
              at: r.timestamp,
            };
            found.set(k, entry);
          }
          entry.landed.set(Number(r.headers[HEADER.index]), {
            partition: r.partition,
            offset: r.offset,
          });
        }
        offset = records[records.length - 1]!.offset + 1;
      }
    }
    for (const [k, entry] of found) {
      if (entry.landed.size >= entry.count) {
        this.partial.delete(k);
        const receipt = buildReceipt(source, topic, entry.key, entry.landed.values());
        await this.remember(topic, entry.key, entry.hash, receipt, entry.at);
      } else {
        this.partial.set(k, { hash: entry.hash, count: entry.count, landed: entry.landed });
      }
    }
  }

  /** What is known of a key: accepted (with its receipt), partly landed, or new. */
  lookup(
    topic: string,
    key: string,
  ):
    | { state: 'done'; hash: string; receipt: IngestReceipt }
    | { state: 'partial'; hash: string; landed: Map<number, AppendResult> }
    | { state: 'new' } {
    const k = id(topic, key);
    const done = this.done.get(k);
    if (done && done.at >= Date.now() - this.opts.ttlMs) {
      return { state: 'done', hash: done.hash, receipt: done.receipt };
    }
    const partial = this.partial.get(k);
    if (partial) return { state: 'partial', hash: partial.hash, landed: partial.landed };
    return { state: 'new' };
  }

  /**
   * Claims a key for one request (false while another holds it); then exactly one of `accept`,
   * `fail` or `release` (the request ended without appending).
   */
  claim(topic: string, key: string): boolean {
    const k = id(topic, key);
    if (this.busy.has(k)) return false;
    this.busy.add(k);
    this.topics.add(topic);
    this.appending++;
    this.appendsStarted++;
    return true;
  }

  /** The batch is durable in the log: remember its receipt, release the key. */
  async accept(topic: string, key: string, hash: string, receipt: IngestReceipt): Promise<void> {
    try {
      this.partial.delete(id(topic, key));
      await this.remember(topic, key, hash, receipt, Date.now());
    } finally {
      this.release(topic, key);
    }
    if (++this.sinceMarker >= (this.opts.markerEvery ?? 1000)) await this.mark().catch(() => {});
  }

  /** The append failed: what landed of it is found by scanning, so a retry completes it. */
  async fail(topic: string, key: string): Promise<void> {
    try {
      await this.scan(topic);
    } finally {
      this.release(topic, key);
    }
  }

  release(topic: string, key: string): void {
    this.busy.delete(id(topic, key));
    this.appending--;
  }

  private async remember(
    topic: string,
    key: string,
    hash: string,
    receipt: IngestReceipt,
    at: number,
  ): Promise<void> {
    this.done.set(id(topic, key), { hash, at, receipt });
    const line: Line = { t: topic, k: key, h: hash, at, r: receipt };
    await this.write(`${JSON.stringify(line)}\n`, false);
  }

  private write(text: string, sync: boolean): Promise<void> {
    const next = this.writes.then(async () => {
      if (!this.file) return; // during open: compact() writes everything once
      await this.file.write(text);
      if (sync) await this.file.datasync();
    });
    this.writes = next.catch(() => undefined);
    return next;
  }

  /**
   * Writes the log ends as a marker, when no batch is between its append and its line (those
   * would sit below the ends without being in the file). Partial batches keep the ends below
   * their first event, so the next scan finds them again.
   */
  async mark(): Promise<void> {
    if (this.appending > 0) return;
    const started = this.appendsStarted;
    const ends = await this.currentEnds();
    if (this.appending > 0 || this.appendsStarted !== started) return;
    this.sinceMarker = 0;
    await this.write('', true); // every line before the marker durable before it
    await this.write(`${JSON.stringify({ m: ends })}\n`, true);
  }

  private async currentEnds(): Promise<Record<string, number[]>> {
    const { log } = this.opts;
    const existing = new Map((await log.topics()).map((t) => [t.name, t.partitions]));
    const ends: Record<string, number[]> = {};
    for (const topic of this.topics) {
      const n = existing.get(topic);
      if (n === undefined) continue;
      const list: number[] = [];
      for (let p = 0; p < n; p++) list.push(await log.endOffset(topic, p));
      ends[topic] = list;
    }
    for (const [k, partial] of this.partial) {
      const topic = k.slice(0, k.indexOf('\u0000'));
      const list = ends[topic];
      if (!list) continue;
      for (const { partition, offset } of partial.landed.values()) {
        list[partition] = Math.min(list[partition] ?? offset, offset);
      }
    }
    for (const [topic, list] of Object.entries(ends)) this.ends.set(topic, list);
    return ends;
  }

  /** Rewrites the file with the live keys and a marker (expired keys dropped), then appends to it. */
  private async compact(): Promise<void> {
    const ends = await this.currentEnds();
    const lines: string[] = [];
    const oldest = Date.now() - this.opts.ttlMs;
    for (const [k, d] of this.done) {
      if (d.at < oldest) {
        this.done.delete(k);
        continue;
      }
      const sep = k.indexOf('\u0000');
      lines.push(
        JSON.stringify({
          t: k.slice(0, sep),
          k: k.slice(sep + 1),
          h: d.hash,
          at: d.at,
          r: d.receipt,
        }),
      );
    }
    lines.push(JSON.stringify({ m: ends }));
    await writeFileAtomic(this.path, `${lines.join('\n')}\n`);
    this.file = await open(this.path, 'a');
  }

  /** Writes a final marker (so the next open scans little) and closes the file. */
  async close(): Promise<void> {
    await this.mark().catch(() => undefined);
    await this.writes;
    await this.file?.close();
    this.file = null;
  }
}
