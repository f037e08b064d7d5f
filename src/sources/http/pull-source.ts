// A source that polls a REST API paged with a cursor (the logistics API's shipments feed, say):
// GET <url>?<cursorParam>=<cursor> returns a page with the records and the next cursor.
//
// Exactly-once into the log: each event carries the cursor of its page and its index there in
// headers (and an event id derived from them). After a page's events are durable the source
// saves the next cursor, with the log's end offsets. After a crash between the append and the
// save, the log tail past those offsets tells which events of the page are already in: they are
// skipped when the page is fetched again. A page read at the end of the feed (no next cursor, or
// the same one) is remembered as "cursor + the number of its records consumed", so a tail page
// that grows is read again and only its new records are appended: the API must return the same
// records, in the same order, for the same cursor.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Log, LogRecord } from '../../log/index.js';
import type { Metrics } from '../../observe/index.js';
import { encodeWire, subjectForTopic, type SchemaRegistry } from '../../registry/index.js';
import { QUARANTINE_TOPIC } from '../simulator-source.js';
import type { Source, SourceStatus } from '../source.js';
import { getPath } from './json-path.js';
import { writeFileAtomic } from '../checkpoint-file.js';

export interface HttpPullSourceOptions {
  /** The source's name: in `freshet.source` headers, event ids and status. */
  name: string;
  log: Log;
  registry: SchemaRegistry;
  metrics: Metrics;
  /** The API's URL; the cursor is added as a query parameter. */
  url: string;
  topic: string;
  /** Where the cursor is kept (a small JSON file, replaced atomically). */
  checkpointPath: string;
  /** Query parameter carrying the cursor. Default "cursor". */
  cursorParam?: string;
  /** Path of the records array in a page ("" = the page is the array). Default "records". */
  recordsPath?: string;
  /** Path of the next cursor in a page; absent, null or "" means the end for now. Default "next_cursor". */
  nextCursorPath?: string;
  /** Cursor of the first request; default none (the parameter is left out). */
  initialCursor?: string;
  /** Sent with every request (e.g. Authorization). Secret values: never logged or reported. */
  headers?: Record<string, string>;
  /** Wait between polls once the feed is caught up. Default 5000 ms. */
  pollIntervalMs?: number;
  /** A request taking longer is abandoned and retried. Default 30000 ms. */
  requestTimeoutMs?: number;
  /** Backoff after a failure: full jitter between 0 and min(max, initial * 2^n). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Partitions of the topic when the source creates it. Default 1. */
  partitions?: number;
  /** Record field used as the log key. */
  keyField?: string;
  wireFormat?: boolean;
  onError?: (err: unknown) => void;
}

interface Checkpoint {
  url: string;
  cursor: string | null;
  /** Records of the page at `cursor` already in the log (a tail page read before it filled). */
  consumed: number;
  /** Events appended by every run so far. */
  total: number;
  logEnds: Record<string, number[]>;
}

/** `<name>-<32 hex of sha256(name, cursor)>-<index>`. */
export function pullEventId(name: string, cursor: string | null, index: number): string {
  const digest = createHash('sha256')
    .update(`${name}\u0000${cursor ?? ''}`, 'utf8')
    .digest('hex')
    .slice(0, 32);
  return `${name}-${digest}-${index}`;
}

const CURSOR = 'freshet.pull-cursor';
const INDEX = 'freshet.pull-index';
const NO_CURSOR = '\u0000none';

export class PullHttpError extends Error {
  override name = 'PullHttpError';
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export class HttpPullSource implements Source {
  readonly name: string;
  private state: SourceStatus['state'] = 'idle';
  private cursor: string | null = null;
  private consumed = 0;
  private total = 0;
  private accepted = 0;
  private rejected = 0;
  private failures = 0;
  private lastError: string | null = null;
  /** `<cursor>\0<index>` of events found in the log past the checkpoint (a crash's batch). */
  private readonly skip = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private abort: AbortController | null = null;

  constructor(private readonly opts: HttpPullSourceOptions) {
    this.name = opts.name;
  }

  async start(): Promise<void> {
    const { log, topic } = this.opts;
    await log.createTopic(topic, { partitions: this.opts.partitions ?? 1 });
    await log.createTopic(QUARANTINE_TOPIC, { partitions: 1 });
    const cp = await this.loadCheckpoint();
    this.cursor = cp?.cursor ?? this.opts.initialCursor ?? null;
    this.consumed = cp?.consumed ?? 0;
    this.total = cp?.total ?? 0;
    await this.recover(cp?.logEnds ?? {});
    this.state = 'running';
    this.schedule(0);
  }

  /** The cursor of the next request (what a restart continues from). */
  get position(): { cursor: string | null; consumed: number } {
    return { cursor: this.cursor, consumed: this.consumed };
  }

  private async loadCheckpoint(): Promise<Checkpoint | null> {
    let text: string;
    try {
      text = await readFile(this.opts.checkpointPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const cp = JSON.parse(text) as Checkpoint;
    if (cp.url !== this.opts.url) {
      throw new Error(
        `the pull source ${this.name} saved a cursor for ${cp.url}, not ${this.opts.url}; delete ${this.opts.checkpointPath} to start the new URL from its beginning`,
      );
    }
    return cp;
  }

  /** Finds this source's events appended after the checkpoint (from the log ends it saved). */
  private async recover(logEnds: Record<string, number[]>): Promise<void> {
    const { log } = this.opts;
    for (const topic of [this.opts.topic, QUARANTINE_TOPIC]) {
      const info = (await log.topics()).find((t) => t.name === topic);
      for (let p = 0; p < (info?.partitions ?? 0); p++) {
        let offset = Math.max(logEnds[topic]?.[p] ?? 0, await log.startOffset(topic, p));
        for (;;) {
          const records = await log.read(topic, p, offset, { maxRecords: 10_000 });
          if (records.length === 0) break;
          for (const r of records) {
            if (r.headers['freshet.source'] !== this.name || r.headers[INDEX] === undefined)
              continue;
            this.skip.add(`${r.headers[CURSOR]}\u0000${r.headers[INDEX]}`);
          }
          offset = records[records.length - 1]!.offset + 1;
        }
      }
    }
  }

  private schedule(delayMs: number): void {
    if (this.state !== 'running') return;
    this.timer = setTimeout(() => {
      this.timer = null;
      let next = this.opts.pollIntervalMs ?? 5000;
      this.running = this.poll()
        .then((more) => {
          this.failures = 0;
          if (more) next = 0;
        })
        .catch((err) => {
          if (this.state !== 'running') return; // aborted by stop()
          this.failures++;
          this.lastError = err instanceof Error ? err.message : String(err);
          this.opts.metrics.errors.inc({ stage: 'source' });
          this.opts.onError?.(err);
          const ceiling = Math.min(
            this.opts.backoffMaxMs ?? 30_000,
            (this.opts.backoffInitialMs ?? 500) * 2 ** (this.failures - 1),
          );
          next = Math.max(
            Math.floor(Math.random() * ceiling),
            err instanceof PullHttpError ? (err.retryAfterMs ?? 0) : 0,
          );
        })
        .finally(() => {
          this.running = null;
          this.schedule(next);
        });
    }, delayMs);
  }

  /** One page: fetch, validate, append, save the cursor. True when more pages are waiting. */
  private async poll(): Promise<boolean> {
    const page = await this.fetchPage();
    const records = getPath(page, this.opts.recordsPath ?? 'records');
    if (!Array.isArray(records)) {
      throw new PullHttpError(
        `the page from ${this.opts.url} has no records array at "${this.opts.recordsPath ?? 'records'}"; set recordsPath to where the API puts them`,
      );
    }
    const nextRaw = getPath(page, this.opts.nextCursorPath ?? 'next_cursor');
    const next =
      typeof nextRaw === 'string' && nextRaw !== ''
        ? nextRaw
        : typeof nextRaw === 'number'
          ? String(nextRaw)
          : null;
    const cursor = this.cursor;
    const fresh = records.map((value, index) => ({ value, index })).slice(this.consumed);
    const byTopic = new Map<string, LogRecord[]>();
    for (const { value, index } of fresh) {
      if (this.skip.delete(`${cursor ?? NO_CURSOR}\u0000${index}`)) continue;
      const { topic, record } = await this.toRecord(cursor, index, value);
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), record]);
    }
    for (const [topic, list] of byTopic) {
      const started = performance.now();
      await this.opts.log.append(topic, list);
      this.opts.metrics.logAppendSeconds.observe((performance.now() - started) / 1000);
    }
    const good = byTopic.get(this.opts.topic)?.length ?? 0;
    const bad = byTopic.get(QUARANTINE_TOPIC)?.length ?? 0;
    this.accepted += good;
    this.rejected += bad;
    if (good > 0) this.opts.metrics.eventsAccepted.inc({ topic: this.opts.topic }, good);
    if (bad > 0) this.opts.metrics.eventsRejected.inc({ topic: this.opts.topic }, bad);
    this.total += good + bad;
    const advanced = next !== null && next !== cursor;
    if (advanced) {
      this.cursor = next;
      this.consumed = 0;
    } else {
      this.consumed = Math.max(this.consumed, records.length);
    }
    if (advanced || fresh.length > 0) await this.saveCheckpoint();
    this.lastError = null;
    return advanced && records.length > 0;
  }

  private async fetchPage(): Promise<unknown> {
    const url = new URL(this.opts.url);
    if (this.cursor !== null) url.searchParams.set(this.opts.cursorParam ?? 'cursor', this.cursor);
    this.abort = new AbortController();
    const timeout = setTimeout(() => this.abort?.abort(), this.opts.requestTimeoutMs ?? 30_000);
    try {
      const res = await fetch(url, {
        headers: { Accept: 'application/json', ...this.opts.headers },
        signal: this.abort.signal,
      });
      const text = await res.text();
      if (!res.ok) {
        const retryAfter = Number(res.headers.get('retry-after'));
        throw new PullHttpError(
          `${url.origin}${url.pathname} answered ${res.status}: ${text.slice(0, 200)}`,
          Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
        );
      }
      try {
        return JSON.parse(text);
      } catch (err) {
        throw new PullHttpError(
          `${url.origin}${url.pathname} did not answer JSON: ${(err as Error).message}`,
        );
      }
    } catch (err) {
      if (err instanceof PullHttpError) throw err;
      throw new PullHttpError(
        `could not fetch ${url.origin}${url.pathname}: ${err instanceof Error ? err.message : String(err)}`,
      );
    } finally {
      clearTimeout(timeout);
      this.abort = null;
    }
  }

  private async toRecord(
    cursor: string | null,
    index: number,
    value: unknown,
  ): Promise<{ topic: string; record: LogRecord }> {
    const json = Buffer.from(JSON.stringify(value) ?? 'null');
    const headers: Record<string, string> = {
      'freshet.source': this.name,
      'freshet.event-id': pullEventId(this.name, cursor, index),
      [CURSOR]: cursor ?? NO_CURSOR,
      [INDEX]: String(index),
    };
    const field = this.opts.keyField;
    const keyValue =
      field && value !== null && typeof value === 'object'
        ? (value as Record<string, unknown>)[field]
        : undefined;
    const key =
      typeof keyValue === 'string' || typeof keyValue === 'number' ? String(keyValue) : null;
    const verdict = await this.opts.registry.validate(subjectForTopic(this.opts.topic), value);
    if (!verdict.ok) {
      // No sender to answer here: the event is kept with the reason, never dropped.
      return {
        topic: QUARANTINE_TOPIC,
        record: {
          key,
          value: json,
          headers: {
            ...headers,
            'freshet.topic': this.opts.topic,
            'freshet.error': verdict.errors.join('; '),
          },
        },
      };
    }
    headers['freshet.schema-id'] = String(verdict.schemaId);
    return {
      topic: this.opts.topic,
      record: {
        key,
        value: this.opts.wireFormat ? encodeWire(verdict.schemaId, json) : json,
        headers,
      },
    };
  }

  private async saveCheckpoint(): Promise<void> {
    const { log } = this.opts;
    const logEnds: Record<string, number[]> = {};
    for (const t of await log.topics()) {
      if (t.name !== this.opts.topic && t.name !== QUARANTINE_TOPIC) continue;
      const ends: number[] = [];
      for (let p = 0; p < t.partitions; p++) ends.push(await log.endOffset(t.name, p));
      logEnds[t.name] = ends;
    }
    const cp: Checkpoint = {
      url: this.opts.url,
      cursor: this.cursor,
      consumed: this.consumed,
      total: this.total,
      logEnds,
    };
    await writeFileAtomic(this.opts.checkpointPath, JSON.stringify(cp));
  }

  /** Stops polling; a page being appended finishes and its cursor is saved first. */
  async stop(): Promise<void> {
    if (this.state === 'running') this.state = 'stopped';
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort?.abort(); // a fetch in flight has appended nothing yet
    while (this.running) await this.running;
  }

  status(): SourceStatus {
    return {
      name: this.name,
      state: this.state,
      eventsAccepted: this.accepted,
      eventsRejected: this.rejected,
      position: this.total,
      lastError: this.lastError,
    };
  }
}
