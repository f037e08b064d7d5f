// A watched folder or S3 prefix of CSV, NDJSON and Parquet drops (ERP exports), as a source.
//
// Each file is processed once, even across restarts: the ledger (checkpoint) records every file
// done by key + size + modification time, so a file rewritten under the same name is a new drop.
// Within a file, records go to the log in batches; after each batch is durable the ledger saves
// the next line and the log's end offsets. Every event's id is derived from its place in the
// file (`file:<source>:<key>:<mtime>-<size>:<line>`), and after a crash between an append and
// the save, recovery reads the log past the saved offsets and skips the events it finds there:
// nothing is lost and nothing is appended twice (and a replay downstream is idempotent by id).
// Bad records go to quarantine with the file, line, field and reason; a file that cannot be read
// on (binary, truncated, an unclosed quote) is recorded as done with its error, after the records
// before the fault have flowed; the next files go on.

import { randomUUID } from 'node:crypto';
import { rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectStore } from '../../lake/object-store.js';
import { objectStoreFor, type ObjectStoreUrlOptions } from '../../lake/object-store-url.js';
import type { Log, LogRecord } from '../../log/index.js';
import type { Metrics } from '../../observe/index.js';
import { encodeWire, subjectForTopic, type SchemaRegistry } from '../../registry/index.js';
import { QUARANTINE_TOPIC } from '../simulator-source.js';
import type { Source, SourceStatus } from '../source.js';
import { readCsv, type CsvOptions } from './csv-reader.js';
import { DropWatcher } from './drop-watcher.js';
import {
  isDone,
  loadLedger,
  saveLedger,
  versionToken,
  type CurrentFile,
  type FileVersion,
  type LedgerState,
} from './ledger.js';
import { readNdjson } from './ndjson-reader.js';
import { readParquet } from './parquet-reader.js';
import { FileFormatError, preview, type Row } from './rows.js';
import { coerceText, inferSchema, type JsonSchema } from './schema-types.js';

export type FileFormat = 'csv' | 'ndjson' | 'parquet';

export interface FileDropSourceOptions {
  /** The source's name: in `freshet.source` headers, event ids and status. */
  name: string;
  /** A local folder, file:///path, or s3://bucket/prefix. */
  location: string;
  /** Connection settings for an S3 location (endpoint, credentials, region). */
  storeOptions?: ObjectStoreUrlOptions;
  /** A ready object store instead of `location` (tests); `location` still names it. */
  store?: ObjectStore;
  /** Keys to take: a suffix ('.csv') or a glob ('exports/**\/*.csv'). Default: every file. */
  pattern?: string;
  topic: string;
  /** Default 'auto': by extension (.csv .tsv → csv; .ndjson .jsonl .json → ndjson; .parquet). */
  format?: FileFormat | 'auto';
  /** The topic's JSON Schema; registered under `<topic>-value`. Without one, the subject's
   *  latest schema is used, or one is inferred from the first file and registered. */
  schema?: JsonSchema;
  /** Records sampled from the first file to infer a schema. Default 1000. */
  inferSampleSize?: number;
  csv?: CsvOptions;
  /** Record field used as the log key. */
  keyField?: string;
  /** Partitions of the topic when the source creates it. Default 1. */
  partitions?: number;
  /** Wait between polls of the location. Default 5000 ms. */
  pollIntervalMs?: number;
  /** Records per append. Default 5000 (also cut at 16 MiB of values). */
  batchSize?: number;
  /** A record over this many bytes goes to quarantine (its first 4 KiB). Default 1 MiB. */
  maxRecordBytes?: number;
  /** Take a file once `<key><readyMarker>` exists (e.g. '.done'), not after two stable polls. */
  readyMarker?: string;
  /** 'keep' (default): files stay, the ledger remembers them. 'move': moved under `archivePrefix`. */
  archive?: 'keep' | 'move';
  /** Where 'move' puts done files, inside the location; never taken. Default 'done/'. */
  archivePrefix?: string;
  /** Where the ledger is kept (a small JSON file, replaced atomically). */
  checkpointPath: string;
  log: Log;
  registry: SchemaRegistry;
  metrics: Metrics;
  wireFormat?: boolean;
  onError?: (err: unknown) => void;
  onProgress?: (message: string) => void;
  /** Backoff after a failed poll (log or store down): full jitter up to min(max, initial * 2^n). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

export interface FileDropStatus extends SourceStatus {
  filesDone: number;
  /** Files done whose end could not be read (their earlier records flowed). */
  filesFailed: number;
  currentFile: string | null;
  /** Next line of the current file not yet durable. */
  currentLine: number | null;
}

/** `file:<source>:<key>:<mtime>-<size>:<line>`: the same record of the same drop, the same id. */
export function fileEventId(source: string, v: FileVersion, line: number): string {
  return `file:${source}:${v.key}:${versionToken(v)}:${line}`;
}

export function formatOf(key: string): FileFormat | null {
  const lower = key.toLowerCase();
  if (lower.endsWith('.csv') || lower.endsWith('.tsv')) return 'csv';
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl') || lower.endsWith('.json'))
    return 'ndjson';
  if (lower.endsWith('.parquet')) return 'parquet';
  return null;
}

/**
 * The fault as a file-level error when it belongs to this file (its content, or a local file the
 * process may not read): recorded against the file, which is not retried until it changes. Any
 * other fault (the log, the store, the registry) fails the poll, which is retried.
 */
function unreadable(err: unknown): FileFormatError | null {
  if (err instanceof FileFormatError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EISDIR') {
    return new FileFormatError(`cannot be read: ${(err as Error).message}`, 0);
  }
  return null;
}

const MAX_BATCH_BYTES = 16 * 1024 * 1024;
const FILE = 'freshet.file';
const LINE = 'freshet.line';

interface Pending {
  records: Map<string, LogRecord[]>;
  bytes: number;
  count: number;
  good: number;
  bad: number;
  lastLine: number;
}

export class FileDropSource implements Source {
  readonly name: string;
  private readonly store: ObjectStore;
  private readonly watcher: DropWatcher;
  private readonly subject: string;
  private ledger: LedgerState | null = null;
  private schema: JsonSchema | null = null;
  private state: SourceStatus['state'] = 'idle';
  private accepted = 0;
  private rejected = 0;
  private failures = 0;
  private lastError: string | null = null;
  private currentFile: string | null = null;
  /** Event ids found in the log past the saved offsets (a crash's batch): not appended again. */
  private readonly skip = new Set<string>();
  /** The offsets recovery scanned from, kept while `skip` is not empty (see saveLedger). */
  private scannedFrom: Record<string, number[]> | null = null;
  private needsRecovery = true;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly opts: FileDropSourceOptions) {
    this.name = opts.name;
    this.subject = subjectForTopic(opts.topic);
    this.store = opts.store ?? objectStoreFor(opts.location, opts.storeOptions);
    this.watcher = new DropWatcher(this.store, {
      pattern: opts.pattern,
      readyMarker: opts.readyMarker,
      excludePrefix: opts.archive === 'move' ? this.archivePrefix : undefined,
    });
  }

  private get archivePrefix(): string {
    return (this.opts.archivePrefix ?? 'done/').replace(/^\/+/, '');
  }

  async start(): Promise<void> {
    const { log, registry, topic } = this.opts;
    await log.createTopic(topic, { partitions: this.opts.partitions ?? 1 });
    await log.createTopic(QUARANTINE_TOPIC, { partitions: 1 });
    if (this.opts.schema) {
      await registry.register(this.subject, {
        schemaType: 'JSON',
        schema: JSON.stringify(this.opts.schema),
      });
    }
    this.ledger = await loadLedger(this.opts.checkpointPath, this.opts.location);
    await this.recover();
    this.state = 'running';
    this.schedule(0);
  }

  /**
   * Collects this source's event ids in the log past the saved end offsets: a batch appended
   * before a crash (or a failed save) whose position was never saved.
   */
  private async recover(): Promise<void> {
    const { log } = this.opts;
    const ends = this.ledger!.logEnds;
    this.skip.clear();
    for (const topic of [this.opts.topic, QUARANTINE_TOPIC]) {
      const info = (await log.topics()).find((t) => t.name === topic);
      for (let p = 0; p < (info?.partitions ?? 0); p++) {
        let offset = Math.max(ends[topic]?.[p] ?? 0, await log.startOffset(topic, p));
        for (;;) {
          const records = await log.read(topic, p, offset, { maxRecords: 10_000 });
          if (records.length === 0) break;
          for (const r of records) {
            const id = r.headers['freshet.event-id'];
            if (r.headers['freshet.source'] === this.name && id) this.skip.add(id);
          }
          offset = records[records.length - 1]!.offset + 1;
        }
      }
    }
    this.scannedFrom = this.skip.size > 0 ? ends : null;
    if (this.skip.size > 0) {
      this.opts.onProgress?.(
        `${this.name}: ${this.skip.size} records already in the log past the saved position are not appended again`,
      );
    }
    this.needsRecovery = false;
  }

  private schedule(delayMs: number): void {
    if (this.state !== 'running') return;
    this.timer = setTimeout(() => {
      this.timer = null;
      let next = this.opts.pollIntervalMs ?? 5000;
      this.running = this.poll()
        .then(() => {
          this.failures = 0;
        })
        .catch((err) => {
          this.failures++;
          this.needsRecovery = true; // an append may have landed without its position
          this.lastError = err instanceof Error ? err.message : String(err);
          this.opts.metrics.errors.inc({ stage: 'source' });
          this.opts.onError?.(err);
          const ceiling = Math.min(
            this.opts.backoffMaxMs ?? 30_000,
            (this.opts.backoffInitialMs ?? 500) * 2 ** (this.failures - 1),
          );
          next = Math.floor(Math.random() * ceiling);
        })
        .finally(() => {
          this.running = null;
          this.schedule(next);
        });
    }, delayMs);
  }

  /** One look at the location: every ready file not yet done, in key order. */
  private async poll(): Promise<void> {
    if (this.needsRecovery) await this.recover();
    const ledger = this.ledger!;
    const { ready, listed } = await this.watcher.poll((v) => isDone(ledger, v));
    // Files gone from the location cannot come back as the same version: forget them, so the
    // ledger does not grow forever.
    for (const key of Object.keys(ledger.done)) if (!listed.has(key)) delete ledger.done[key];
    if (this.opts.archive === 'move') await this.archiveLeftovers(listed);
    // A file left half-done by a crash goes first: taking another file first would drop its
    // saved line (the ledger holds one current file) and send its earlier records again.
    const cur = ledger.current;
    ready.sort((a, b) => Number(b.key === cur?.key) - Number(a.key === cur?.key));
    for (const v of ready) {
      if (this.state !== 'running') return;
      await this.processFile(v);
    }
  }

  private async processFile(v: FileVersion): Promise<void> {
    const ledger = this.ledger!;
    const format =
      this.opts.format && this.opts.format !== 'auto' ? this.opts.format : formatOf(v.key);
    const same =
      ledger.current &&
      ledger.current.key === v.key &&
      ledger.current.size === v.size &&
      ledger.current.mtime === v.mtime;
    const current: CurrentFile = same
      ? ledger.current!
      : { ...v, nextLine: 1, records: 0, rejected: 0 };
    ledger.current = current;
    this.currentFile = v.key;
    if (current.nextLine > 1) {
      this.opts.onProgress?.(`${this.name}: resuming ${v.key} at line ${current.nextLine}`);
    }
    let fileError: string | undefined;
    const pending = this.newPending();
    const local = format === null ? null : await this.localCopy(v);
    try {
      if (format === null) {
        throw new FileFormatError(
          `no format for '${v.key}': name it .csv, .tsv, .ndjson, .jsonl, .json or .parquet, or set format`,
          0,
        );
      }
      this.schema = await this.topicSchema();
      const rows = this.withSchema(this.rows(format, v.key, local!.path, current.nextLine), format);
      for await (const row of rows) {
        if (row.line < current.nextLine) continue;
        await this.add(pending, v, row, format);
        if (pending.count >= (this.opts.batchSize ?? 5000) || pending.bytes >= MAX_BATCH_BYTES) {
          await this.flush(pending, current);
          if (this.state !== 'running') return; // stopped: the position is saved, resume later
        }
      }
    } catch (caught) {
      const err = unreadable(caught);
      if (!err) throw caught;
      fileError = `${v.key}${err.line > 0 ? ` line ${err.line}` : ''}: ${err.message}`;
      const line = Math.max(err.line, pending.lastLine + 1, current.nextLine);
      this.addProblem(pending, v, line, { reason: err.message }, err.raw);
    } finally {
      await local?.release();
    }
    await this.flush(pending, current);
    ledger.done[v.key] = {
      size: v.size,
      mtime: v.mtime,
      records: current.records,
      rejected: current.rejected,
      at: new Date().toISOString(),
      ...(fileError ? { error: fileError } : {}),
    };
    ledger.current = null;
    this.currentFile = null;
    await this.saveLedger();
    if (fileError) {
      this.lastError = fileError;
      this.opts.onError?.(new Error(fileError));
    }
    this.opts.onProgress?.(
      `${this.name}: ${v.key} done: ${current.records} records, ${current.rejected} quarantined${fileError ? ` (${fileError})` : ''}`,
    );
    if (this.opts.archive === 'move') await this.archiveFile(v.key);
  }

  private rows(
    format: FileFormat,
    key: string,
    path: string,
    fromLine: number,
  ): AsyncGenerator<Row> {
    const maxBytes = this.opts.maxRecordBytes ?? 1024 * 1024;
    if (format === 'csv') {
      const delimiter =
        this.opts.csv?.delimiter ?? (key.toLowerCase().endsWith('.tsv') ? '\t' : undefined);
      return readCsv(path, { ...this.opts.csv, delimiter, maxBytes });
    }
    if (format === 'ndjson') return readNdjson(path, { maxBytes });
    return readParquet(path, { fromLine });
  }

  /** The subject's latest schema, parsed (null when there is none yet). */
  private async topicSchema(): Promise<JsonSchema | null> {
    const latest = await this.opts.registry.latest(this.subject);
    return latest ? (JSON.parse(latest.schema) as JsonSchema) : null;
  }

  /**
   * The rows, after making sure the topic has a schema: without one, the first good records of
   * this file are sampled, a schema is inferred and registered, and the sample flows on.
   */
  private async *withSchema(rows: AsyncGenerator<Row>, format: FileFormat): AsyncGenerator<Row> {
    if (this.schema) {
      yield* rows;
      return;
    }
    const sample: Row[] = [];
    let good = 0;
    let fault: unknown = null;
    try {
      while (good < (this.opts.inferSampleSize ?? 1000)) {
        const next = await rows.next();
        if (next.done) break;
        sample.push(next.value);
        if ('value' in next.value) good++;
      }
    } catch (err) {
      fault = err;
    }
    if (good > 0) {
      const values = sample.flatMap((r) => ('value' in r ? [r.value] : []));
      const inferred = inferSchema(values, { text: format === 'csv' });
      await this.opts.registry.register(this.subject, {
        schemaType: 'JSON',
        schema: JSON.stringify(inferred),
      });
      this.schema = inferred;
      this.opts.onProgress?.(
        `${this.name}: inferred a schema for ${this.opts.topic} from ${good} records: ${JSON.stringify(inferred)}`,
      );
    }
    yield* sample;
    if (fault) throw fault;
    yield* rows;
  }

  private newPending(): Pending {
    return { records: new Map(), bytes: 0, count: 0, good: 0, bad: 0, lastLine: 0 };
  }

  private push(p: Pending, topic: string, record: LogRecord, line: number): void {
    p.count++;
    p.lastLine = Math.max(p.lastLine, line);
    const id = record.headers?.['freshet.event-id'];
    if (id !== undefined && this.skip.delete(id)) return; // already in the log
    const list = p.records.get(topic) ?? [];
    list.push(record);
    p.records.set(topic, list);
    p.bytes += record.value.length;
    if (topic === QUARANTINE_TOPIC) p.bad++;
    else p.good++;
  }

  private headers(v: FileVersion, line: number): Record<string, string> {
    return {
      'freshet.source': this.name,
      'freshet.event-id': fileEventId(this.name, v, line),
      [FILE]: v.key,
      'freshet.file-version': versionToken(v),
      [LINE]: String(line),
    };
  }

  private addProblem(
    p: Pending,
    v: FileVersion,
    line: number,
    problem: { reason: string; field?: string },
    raw: Buffer,
  ): void {
    // No sender to answer: the record is kept with where it came from and why, never dropped.
    this.push(
      p,
      QUARANTINE_TOPIC,
      {
        key: null,
        value: raw,
        headers: {
          ...this.headers(v, line),
          'freshet.topic': this.opts.topic,
          'freshet.error': `${v.key} line ${line}: ${problem.field ? `${problem.field}: ` : ''}${problem.reason}`,
          'freshet.reason': problem.reason,
          ...(problem.field ? { 'freshet.field': problem.field } : {}),
        },
      },
      line,
    );
  }

  private async add(p: Pending, v: FileVersion, row: Row, format: FileFormat): Promise<void> {
    if ('problem' in row) return this.addProblem(p, v, row.line, row.problem, row.raw);
    const value = format === 'csv' ? coerceText(row.value, this.schema) : row.value;
    const json = Buffer.from(JSON.stringify(value));
    const max = this.opts.maxRecordBytes ?? 1024 * 1024;
    if (json.length > max) {
      const reason = `record of ${json.length} bytes as JSON is over the limit of ${max}`;
      return this.addProblem(p, v, row.line, { reason }, preview(json));
    }
    const verdict = await this.opts.registry.validate(this.subject, value);
    if (!verdict.ok) {
      const first = verdict.errors[0] ?? 'invalid';
      const colon = first.indexOf(': ');
      const field = colon > 0 ? first.slice(0, colon).replace(/^\//, '') : undefined;
      const reason = verdict.errors.join('; ');
      return this.addProblem(p, v, row.line, { reason, ...(field ? { field } : {}) }, json);
    }
    const headers = this.headers(v, row.line);
    headers['freshet.schema-id'] = String(verdict.schemaId);
    const keyValue = this.opts.keyField ? value[this.opts.keyField] : undefined;
    const key =
      typeof keyValue === 'string' || typeof keyValue === 'number' ? String(keyValue) : null;
    this.push(
      p,
      this.opts.topic,
      { key, value: this.opts.wireFormat ? encodeWire(verdict.schemaId, json) : json, headers },
      row.line,
    );
  }

  /** Appends the batch, then (only then) saves the position after its last line. */
  private async flush(p: Pending, current: CurrentFile): Promise<void> {
    if (p.count === 0) return;
    const { log, metrics, topic } = this.opts;
    for (const [t, list] of p.records) {
      const started = performance.now();
      await log.append(t, list);
      metrics.logAppendSeconds.observe((performance.now() - started) / 1000);
    }
    if (p.good > 0) metrics.eventsAccepted.inc({ topic }, p.good);
    if (p.bad > 0) metrics.eventsRejected.inc({ topic }, p.bad);
    this.accepted += p.good;
    this.rejected += p.bad;
    current.records += p.good;
    current.rejected += p.bad;
    current.nextLine = p.lastLine + 1;
    this.ledger!.total += p.good + p.bad;
    Object.assign(p, this.newPending());
    await this.saveLedger();
  }

  private async saveLedger(): Promise<void> {
    const { log } = this.opts;
    if (this.skip.size === 0) this.scannedFrom = null;
    const logEnds: Record<string, number[]> = {};
    for (const t of await log.topics()) {
      if (t.name !== this.opts.topic && t.name !== QUARANTINE_TOPIC) continue;
      const ends: number[] = [];
      for (let p = 0; p < t.partitions; p++) {
        const end = await log.endOffset(t.name, p);
        // While found-but-not-yet-skipped events remain, do not claim the log past where
        // recovery scanned: a crash now must find them again.
        ends.push(this.scannedFrom ? Math.min(end, this.scannedFrom[t.name]?.[p] ?? 0) : end);
      }
      logEnds[t.name] = ends;
    }
    this.ledger!.logEnds = logEnds;
    await saveLedger(this.opts.checkpointPath, this.ledger!);
  }

  /**
   * A local file to read. Local stores: the file itself. S3: a download (the store's local
   * cache), checked against the listed size and time, since the cache assumes immutable objects
   * and a drop may be rewritten under the same name; removed once the file is done.
   */
  private async localCopy(v: FileVersion): Promise<{ path: string; release: () => Promise<void> }> {
    const direct = this.store.localPath(v.key);
    if (direct !== null) return { path: direct, release: async () => {} };
    if (this.store.cacheLocally) {
      let path = await this.store.cacheLocally(v.key);
      const st = await stat(path);
      if (st.size !== v.size || st.mtimeMs < v.mtime) {
        await rm(path, { force: true });
        path = await this.store.cacheLocally(v.key);
      }
      return { path, release: () => rm(path, { force: true }) };
    }
    const bytes = await this.store.get(v.key);
    if (bytes === null) throw new Error(`${v.key} disappeared from ${this.store.description}`);
    const path = join(tmpdir(), `freshet-drop-${randomUUID()}-${v.key.replace(/[^\w.-]/g, '_')}`);
    await writeFile(path, bytes);
    return { path, release: () => rm(path, { force: true }) };
  }

  /** Moves a done file under the archive prefix (the ledger already holds it as done). */
  private async archiveFile(key: string): Promise<void> {
    const target = `${this.archivePrefix.replace(/\/+$/, '')}/${key}`;
    const direct = this.store.localPath(key);
    if (direct !== null) {
      await this.store.putFile(target, direct);
      return;
    }
    const bytes = await this.store.get(key);
    if (bytes === null) return;
    await this.store.put(target, bytes);
    await this.store.delete(key);
  }

  /** Done files still in place (a crash before their move): moved now. */
  private async archiveLeftovers(listed: Set<string>): Promise<void> {
    for (const [key, done] of Object.entries(this.ledger!.done)) {
      if (!listed.has(key)) continue;
      // Only the very version that was done: a rewrite under the same name is a new drop.
      const info = await this.store.head?.(key);
      if (info && info.size === done.size && info.lastModified === done.mtime)
        await this.archiveFile(key);
    }
  }

  /** Stops polling; a batch being appended finishes and its position is saved first. */
  async stop(): Promise<void> {
    if (this.state === 'running') this.state = 'stopped';
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.running) await this.running;
  }

  status(): FileDropStatus {
    const done = Object.values(this.ledger?.done ?? {});
    return {
      name: this.name,
      state: this.state,
      eventsAccepted: this.accepted,
      eventsRejected: this.rejected,
      position: this.ledger?.total ?? 0,
      lastError: this.lastError,
      filesDone: done.length,
      filesFailed: done.filter((d) => d.error !== undefined).length,
      currentFile: this.currentFile,
      currentLine: this.currentFile ? (this.ledger?.current?.nextLine ?? null) : null,
    };
  }
}
