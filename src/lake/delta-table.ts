import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { Action, AddFile, FileStats, MetadataAction, ProtocolAction } from './actions.js';
import { parseCommitFile, removeAction } from './actions.js';
import type { BackoffOptions } from './backoff.js';
import { writeCheckpoint } from './checkpoint-writer.js';
import type { CommitOptions } from './commit-builder.js';
import {
  decodeLogPath,
  encodeLogPath,
  newDataFileName,
  partitionDirectory,
  resolveLogPath,
} from './data-file-paths.js';
import {
  CommitConflictError,
  InvalidArgumentError,
  LakeError,
  SchemaMismatchError,
  TableNotFoundError,
  VersionNotFoundError,
} from './errors.js';
import { commitKey, logPrefix } from './log-files.js';
import { ReplayState } from './log-replay.js';
import { analyzeLog } from './log-segment.js';
import { assertValidKey, joinKey, type ObjectStore } from './object-store.js';
import { parquetRowCount } from './parquet-codec.js';
import {
  schemasEqual,
  schemaUsesType,
  serializeSchema,
  validateSchema,
  type StructType,
} from './schema.js';
import { loadLatestSnapshot, loadSnapshotAt, updateSnapshot } from './snapshot-loader.js';
import { EmptySnapshot, TableSnapshot, type Snapshot } from './snapshot.js';
import { checkpointInterval } from './table-properties.js';
import { versionAtTimestamp } from './time-travel.js';
import { commitOptimistically } from './transaction.js';

export interface DeltaTableOptions {
  /**
   * Commits between two checkpoints when the table does not set `delta.checkpointInterval`.
   * Default 100 (Delta's own default is 10; Freshet tables receive a commit every ~100 ms, and a
   * checkpoint rewrites the whole file list).
   */
  checkpointInterval?: number;
  /** Attempts after losing a commit race before giving up with CommitConflictError. Default 10. */
  maxRetries?: number;
  /** Waits between attempts. Default: 5 ms doubling up to 1 s, with full jitter. */
  backoff?: BackoffOptions;
  /**
   * Called when writing a checkpoint fails. The commit itself has succeeded by then, so the
   * error is reported, not thrown. Default: console.warn.
   */
  onCheckpointError?: (error: unknown, version: number) => void;
}

export interface CreateTableOptions {
  schema: StructType;
  partitionColumns?: string[];
  name?: string;
  description?: string;
  /** Table properties, e.g. { 'delta.appendOnly': 'true' }. */
  configuration?: Record<string, string>;
}

export interface WriteOptions {
  /** Progress to record atomically with the data (exactly-once writers). */
  txns?: { appId: string; version: number }[];
  /** Extra commitInfo fields, e.g. operationMetrics. */
  commitInfo?: Record<string, unknown>;
  /**
   * The schema of the data written. When it differs from the table's, the commit also writes the
   * new schema (a metaData action): an overwrite may change it freely (Delta's overwriteSchema),
   * an append may only add nullable columns (mergeSchema) — older files read them as null.
   */
  schema?: StructType;
}

export interface StageOptions {
  /** One value (or null) per partition column of the table. */
  partitionValues?: Record<string, string | null>;
  /** Statistics for data skipping. Default: the row count from the Parquet footer. */
  stats?: FileStats;
}

/**
 * A Delta table in an object store: snapshots (latest, incremental, time travel), optimistic
 * commits, checkpoints, and staging of data files.
 *
 * One instance caches the latest snapshot and brings it up to date by reading only newer commits,
 * so polling `snapshot()` every few hundred ms on a busy table stays cheap. Several instances, in
 * one process or many, may write the same table: the log's put-if-absent decides who wins each
 * version and the losers retry or report a conflict.
 *
 * @example
 * const table = await DeltaTable.open(new LocalObjectStore('/data/lake'), 'bronze/pos');
 * await table.create({ schema: { type: 'struct', fields: [structField('id', 'long')] } });
 * const add = await table.stageDataFile('/tmp/batch-1.parquet');
 * await table.append([add], { txns: [{ appId: 'pos-ingest', version: 42 }] });
 */
export class DeltaTable {
  private cached: TableSnapshot | undefined;
  /** Snapshot refreshes run one after another, so each sees everything committed before it began. */
  private refreshes: Promise<unknown> = Promise.resolve();
  /** This instance's commits, one at a time. */
  private commits: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly store: ObjectStore,
    readonly tablePath: string,
    private readonly options: DeltaTableOptions,
  ) {}

  /** A handle on the table at `tablePath` (e.g. 'bronze/pos'); the table need not exist yet. */
  static async open(
    store: ObjectStore,
    tablePath: string,
    options: DeltaTableOptions = {},
  ): Promise<DeltaTable> {
    const normalized = tablePath.replace(/^\/+|\/+$/g, '');
    if (normalized !== '') assertValidKey(normalized);
    if (options.checkpointInterval !== undefined && !(options.checkpointInterval >= 1)) {
      throw new InvalidArgumentError('checkpointInterval must be at least 1.');
    }
    return new DeltaTable(store, normalized, options);
  }

  /** True when the table has at least one commit or checkpoint. */
  async exists(): Promise<boolean> {
    if (this.cached) return true;
    const prefix = logPrefix(this.tablePath);
    return analyzeLog(prefix, await this.store.list(prefix)).latestVersion >= 0;
  }

  /**
   * Creates the table (version 0: protocol, metaData, commitInfo). Idempotent: when the table
   * already exists with the same schema and partitioning its snapshot is returned, and a
   * different definition is a SchemaMismatchError.
   */
  async create(opts: CreateTableOptions): Promise<Snapshot> {
    const partitionColumns = opts.partitionColumns ?? [];
    validateSchema(opts.schema, partitionColumns);
    const existing = await this.snapshot();
    if (existing.version >= 0) return this.sameDefinition(existing, opts.schema, partitionColumns);

    const protocol: ProtocolAction = schemaUsesType(opts.schema, 'timestamp_ntz')
      ? // timestamp_ntz columns need the timestampNtz table feature (reader 3 / writer 7).
        {
          minReaderVersion: 3,
          minWriterVersion: 7,
          readerFeatures: ['timestampNtz'],
          writerFeatures: ['timestampNtz'],
        }
      : { minReaderVersion: 1, minWriterVersion: 2 };
    const metaData: MetadataAction = {
      id: randomUUID(),
      ...(opts.name === undefined ? {} : { name: opts.name }),
      ...(opts.description === undefined ? {} : { description: opts.description }),
      format: { provider: 'parquet', options: {} },
      schemaString: serializeSchema(opts.schema),
      partitionColumns,
      configuration: opts.configuration ?? {},
      createdTime: Date.now(),
    };
    try {
      await this.commit([{ protocol }, { metaData }], {
        operation: 'CREATE TABLE',
        operationParameters: {
          partitionBy: JSON.stringify(partitionColumns),
          description: opts.description ?? null,
          properties: JSON.stringify(opts.configuration ?? {}),
        },
        readVersion: -1,
        isBlindAppend: true,
      });
    } catch (err) {
      // Another writer created it first: fine if it is the same table.
      if (!(err instanceof CommitConflictError)) throw err;
      const winner = await this.snapshot();
      if (winner.version < 0) throw err;
      return this.sameDefinition(winner, opts.schema, partitionColumns);
    }
    return this.snapshot();
  }

  /** The latest snapshot (version -1 and no files when the table does not exist yet). */
  snapshot(): Promise<Snapshot> {
    const run = this.refreshes.then(() => this.refresh());
    this.refreshes = run.catch(() => undefined);
    return run;
  }

  /** The table as it was at `version` (time travel). */
  async snapshotAt(version: number): Promise<Snapshot> {
    if (!Number.isInteger(version) || version < 0) {
      throw new InvalidArgumentError(`A table version is an integer >= 0, got ${version}.`);
    }
    const cached = this.cached;
    if (cached && cached.version === version) return cached;
    if (cached && cached.version < version) {
      const updated = await updateSnapshot(this, cached, version);
      this.remember(updated);
      if (updated.version === version) return updated;
      throw new VersionNotFoundError(
        this.tablePath,
        version,
        `the latest version is ${updated.version}`,
      );
    }
    const snapshot = await loadSnapshotAt(this, version);
    if (!snapshot) throw new TableNotFoundError(this.tablePath, this.store.description);
    return snapshot;
  }

  /**
   * The table as it was at `timestampMs` (ms since the epoch): the latest version committed at or
   * before it, by in-commit timestamps when the table records them, else by commit file
   * modification times (see time-travel.ts). TimestampOutOfRangeError before the first commit.
   *
   * @example
   * const yesterday = await table.snapshotAsOf(Date.now() - 24 * 3600 * 1000);
   */
  async snapshotAsOf(timestampMs: number): Promise<Snapshot> {
    if (!Number.isFinite(timestampMs)) {
      throw new InvalidArgumentError(
        `A timestamp is a number of ms since the epoch, got ${timestampMs}.`,
      );
    }
    const latest = await this.snapshot();
    if (latest.version < 0) throw new TableNotFoundError(this.tablePath, this.store.description);
    return this.snapshotAt(await versionAtTimestamp(this, latest, timestampMs));
  }

  /**
   * Commits `actions` as the version after `opts.readVersion` (optimistically, see
   * transaction.ts: a lost race is retried unless a winning commit conflicts), then writes a
   * checkpoint when the new version is a multiple of the checkpoint interval. Adds a commitInfo
   * action and one txn action per `opts.txns` entry. Returns the committed version.
   *
   * @example
   * const snap = await table.snapshot();
   * await table.commit([{ add }], { operation: 'WRITE', readVersion: snap.version,
   *   txns: [{ appId: 'silver-orders', version: 17 }] });
   */
  async commit(actions: Action[], opts: CommitOptions): Promise<number> {
    // Commits of one instance queue instead of racing each other through the store: racing would
    // only burn retries (and fsyncs). Writers in other processes still race, and that is handled.
    const run = this.commits.then(() => this.commitExclusive(actions, opts));
    this.commits = run.catch(() => undefined);
    const version = await run;
    // Outside the queue: a checkpoint takes a while and must not delay the next commit.
    await this.checkpointIfDue(version);
    return version;
  }

  private async commitExclusive(actions: Action[], opts: CommitOptions): Promise<number> {
    const latest = await this.snapshot();
    const { version, payload } = await commitOptimistically(this, actions, opts, latest, {
      maxRetries: this.options.maxRetries ?? 10,
      backoff: this.options.backoff ?? {},
    });
    this.rememberOwnCommit(version, payload);
    return version;
  }

  /** Appends data files (a blind append: it conflicts with no concurrent append). */
  async append(files: AddFile[], opts: WriteOptions = {}): Promise<number> {
    const snapshot = await this.existingSnapshot();
    const change = this.schemaChange(snapshot, opts.schema, 'append');
    return this.commit([...change, ...files.map((add) => ({ add }))], {
      operation: 'WRITE',
      operationParameters: {
        mode: 'Append',
        partitionBy: JSON.stringify(snapshot.partitionColumns),
      },
      readVersion: snapshot.version,
      // A schema change is not blind: it must not slip past a concurrent one.
      isBlindAppend: change.length === 0,
      txns: opts.txns,
      commitInfo: opts.commitInfo,
    });
  }

  /**
   * Replaces the table's content: removes every active file and adds `files`, atomically. A
   * concurrent overwrite, delete or compaction makes it fail with CommitConflictError; a blind
   * append committed meanwhile survives it (WriteSerializable: the append counts as later).
   */
  async overwrite(files: AddFile[], opts: WriteOptions = {}): Promise<number> {
    const snapshot = await this.existingSnapshot();
    const now = Date.now();
    const removes: Action[] = snapshot.files.map((f) => removeAction(f, true, now));
    const change = this.schemaChange(snapshot, opts.schema, 'overwrite');
    return this.commit([...change, ...removes, ...files.map((add) => ({ add }))], {
      operation: 'WRITE',
      operationParameters: {
        mode: 'Overwrite',
        partitionBy: JSON.stringify(snapshot.partitionColumns),
      },
      readVersion: snapshot.version,
      isBlindAppend: false,
      readWholeTable: true,
      txns: opts.txns,
      commitInfo: opts.commitInfo,
    });
  }

  /**
   * Writes a checkpoint of the latest version (or of `version`) and points `_last_checkpoint` at
   * it. Commits do this by themselves every checkpointInterval versions.
   */
  async checkpoint(version?: number): Promise<number> {
    const snapshot = version === undefined ? await this.snapshot() : await this.snapshotAt(version);
    if (!(snapshot instanceof TableSnapshot)) {
      throw new TableNotFoundError(this.tablePath, this.store.description);
    }
    await writeCheckpoint(this.store, this.tablePath, snapshot);
    return snapshot.version;
  }

  /**
   * Moves a Parquet file written elsewhere (e.g. by DuckDB) into the table folder under a fresh
   * name (inside Hive-style partition folders when partitioned) and describes it as an AddFile,
   * ready for append() or commit(). Until committed, the file is invisible to readers.
   */
  async stageDataFile(localPath: string, opts: StageOptions = {}): Promise<AddFile> {
    const partitionValues = opts.partitionValues ?? {};
    const snapshot = this.cached ?? (await this.snapshot());
    const columns =
      snapshot.version >= 0 ? snapshot.partitionColumns : Object.keys(partitionValues);
    const given = Object.keys(partitionValues);
    if (given.length !== columns.length || !columns.every((c) => c in partitionValues)) {
      throw new InvalidArgumentError(
        `Partition values [${given.join(', ')}] do not match the partition columns [${columns.join(', ')}] of '${this.tablePath}'.`,
      );
    }
    const stat = await fs.stat(localPath).catch((err: unknown) => {
      throw new InvalidArgumentError(`Cannot stage '${localPath}': ${(err as Error).message}`);
    });
    const stats = opts.stats ?? (await footerStats(localPath));
    const relative = joinKey(partitionDirectory(columns, partitionValues), newDataFileName());
    await this.store.putFile(joinKey(this.tablePath, relative), localPath);
    return {
      path: encodeLogPath(relative),
      partitionValues: Object.fromEntries(columns.map((c) => [c, partitionValues[c] ?? null])),
      size: stat.size,
      modificationTime: Math.floor(stat.mtimeMs),
      dataChange: true,
      stats: JSON.stringify(stats),
    };
  }

  /**
   * A path (local store) or URL (remote store) a reader such as DuckDB can open for this file.
   * The log stores paths relative to the table root and URI-encoded; this decodes them.
   */
  fileUri(add: Pick<AddFile, 'path'>): string {
    if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(add.path)) return resolveLogPath('', add.path);
    const key = joinKey(this.tablePath, decodeLogPath(add.path));
    const local = this.store.localPath(key);
    if (local !== null) return local;
    if (this.store.url) return this.store.url(key);
    throw new LakeError(
      `${this.store.description} offers neither local paths nor URLs; a reader cannot open '${key}' directly.`,
    );
  }

  // ----------------------------------------------------------------------------------------------

  private async refresh(): Promise<Snapshot> {
    const cached = this.cached;
    const next = cached ? await updateSnapshot(this, cached) : await loadLatestSnapshot(this);
    if (!next) return new EmptySnapshot();
    this.remember(next);
    return this.cached!;
  }

  /** Keeps the newest snapshot seen; a slower refresh must not replace a newer local commit. */
  private remember(snapshot: TableSnapshot): void {
    if (!this.cached || snapshot.version > this.cached.version) this.cached = snapshot;
  }

  private async existingSnapshot(): Promise<Snapshot> {
    const snapshot = await this.snapshot();
    if (snapshot.version < 0) throw new TableNotFoundError(this.tablePath, this.store.description);
    return snapshot;
  }

  /**
   * Our own commit extends the cached snapshot without reading the file back. It is parsed from
   * the bytes written, so the cache holds exactly what other readers see (and no object the
   * caller might still mutate).
   */
  private rememberOwnCommit(version: number, payload: string): void {
    const base = this.cached;
    if (base ? base.version !== version - 1 : version !== 0) return;
    const key = commitKey(this.tablePath, version);
    const state = base ? base.state.clone() : new ReplayState();
    state.applyCommit(version, parseCommitFile(payload, key));
    const timestamp = Number(state.commitInfo?.timestamp ?? Date.now());
    this.remember(new TableSnapshot(state, timestamp, key, base));
  }

  private async checkpointIfDue(version: number): Promise<void> {
    const snapshot = this.cached;
    const config = snapshot?.metadata.configuration ?? {};
    const interval = checkpointInterval(config, this.options.checkpointInterval ?? 100);
    if (version === 0 || version % interval !== 0) return;
    try {
      await this.checkpoint(version);
    } catch (err) {
      const report =
        this.options.onCheckpointError ??
        ((e: unknown, v: number) =>
          console.warn(`Freshet: checkpoint of '${this.tablePath}' at version ${v} failed:`, e));
      report(err, version);
    }
  }

  /** The metaData action that moves the table to `schema`, or none when it already has it. */
  private schemaChange(
    snapshot: Snapshot,
    schema: StructType | undefined,
    mode: 'append' | 'overwrite',
  ): Action[] {
    if (schema === undefined || schemasEqual(snapshot.schema, schema)) return [];
    validateSchema(schema, snapshot.partitionColumns);
    if (mode === 'append') {
      const next = new Map(schema.fields.map((f) => [f.name, f]));
      for (const old of snapshot.schema.fields) {
        const now = next.get(old.name);
        if (!now || JSON.stringify(now.type) !== JSON.stringify(old.type))
          throw new SchemaMismatchError(
            this.tablePath,
            `an append may only add columns, and column '${old.name}' is ${now ? `now ${JSON.stringify(now.type)}, not ${JSON.stringify(old.type)}` : 'missing'}; overwrite the table to change it`,
          );
        next.delete(old.name);
      }
      const required = [...next.values()].find((f) => !f.nullable);
      if (required)
        throw new SchemaMismatchError(
          this.tablePath,
          `a column added by an append must be nullable (older files have no '${required.name}')`,
        );
    }
    if (
      schemaUsesType(schema, 'timestamp_ntz') &&
      !(snapshot.protocol.writerFeatures ?? []).includes('timestampNtz')
    )
      throw new SchemaMismatchError(
        this.tablePath,
        'a timestamp_ntz column needs the timestampNtz table feature, which this table lacks',
      );
    return [{ metaData: { ...snapshot.metadata, schemaString: serializeSchema(schema) } }];
  }

  private sameDefinition(
    existing: Snapshot,
    schema: StructType,
    partitionColumns: string[],
  ): Snapshot {
    if (!schemasEqual(existing.schema, schema)) {
      throw new SchemaMismatchError(
        this.tablePath,
        `its schema is ${serializeSchema(existing.schema)}, not ${serializeSchema(schema)}`,
      );
    }
    if (existing.partitionColumns.join('\u0000') !== partitionColumns.join('\u0000')) {
      throw new SchemaMismatchError(
        this.tablePath,
        `it is partitioned by [${existing.partitionColumns.join(', ')}], not [${partitionColumns.join(', ')}]`,
      );
    }
    return existing;
  }

  // writes and maintenance ------------------------------------------------------------------------

  /**
   * Replaces the content of the partitions that match `where` (Delta's `replaceWhere` on partition
   * columns): removes the active files of those partitions and adds `files`, atomically; files of
   * other partitions stay. Every added file must belong to a matching partition.
   *
   * Counts as reading the whole table for conflict detection (as overwrite() does): a concurrent
   * delete, merge or compaction makes it fail with CommitConflictError; a concurrent blind append
   * survives it.
   *
   * @example
   * const add = await table.stageDataFile(file, { partitionValues: { day: '2026-11-24' } });
   * await table.overwritePartitions([add], { day: '2026-11-24' });
   */
  async overwritePartitions(
    files: AddFile[],
    where: PartitionFilter,
    opts: WriteOptions = {},
  ): Promise<number> {
    const snapshot = await this.existingSnapshot();
    const columns = Object.keys(where);
    if (columns.length === 0) {
      throw new InvalidArgumentError(
        'overwritePartitions needs at least one partition column to match; use overwrite() to replace the whole table.',
      );
    }
    const unknown = columns.filter((c) => !snapshot.partitionColumns.includes(c));
    if (unknown.length > 0) {
      throw new InvalidArgumentError(
        `overwritePartitions matches only partition columns; [${unknown.join(', ')}] ` +
          `${unknown.length === 1 ? 'is not one' : 'are not'} of '${this.tablePath}' ([${snapshot.partitionColumns.join(', ')}]).`,
      );
    }
    const outside = files.find((f) => !matchesPartitionFilter(f.partitionValues, where));
    if (outside) {
      throw new InvalidArgumentError(
        `File '${outside.path}' (partition ${JSON.stringify(outside.partitionValues)}) is outside the ` +
          `partitions being replaced (${partitionFilterSql(where)}); write it with append() instead.`,
      );
    }
    const now = Date.now();
    const removes: Action[] = snapshot.files
      .filter((f) => matchesPartitionFilter(f.partitionValues, where))
      .map((f) => removeAction(f, true, now));
    return this.commit([...removes, ...files.map((add) => ({ add }))], {
      operation: 'WRITE',
      operationParameters: {
        mode: 'Overwrite',
        partitionBy: JSON.stringify(snapshot.partitionColumns),
        predicate: JSON.stringify([partitionFilterSql(where)]),
      },
      readVersion: snapshot.version,
      isBlindAppend: false,
      readWholeTable: true,
      txns: opts.txns,
      commitInfo: opts.commitInfo,
    });
  }

  /**
   * Deletes a file that stageDataFile() put into the table folder, for a transaction that gave
   * up before committing it. Never call it for a committed file: readers would lose data.
   */
  async discardStagedFile(add: Pick<AddFile, 'path'>): Promise<void> {
    if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(add.path)) return;
    await this.store.delete(joinKey(this.tablePath, decodeLogPath(add.path)));
  }
}

/**
 * Partitions to match, by partition column: the value (as the log stores it, e.g. '2026-11-24',
 * or null) or a list of accepted values. Columns combine with AND.
 */
export type PartitionFilter = Record<string, string | null | readonly (string | null)[]>;

/** True when a file's partition values satisfy `where` ('' counts as null, as in the protocol). */
export function matchesPartitionFilter(
  values: Readonly<Record<string, string | null>>,
  where: PartitionFilter,
): boolean {
  const norm = (v: string | null | undefined) => (v === undefined || v === '' ? null : v);
  return Object.entries(where).every(([column, accepted]) => {
    const value = norm(values[column]);
    return acceptedValues(accepted).some((a) => norm(a) === value);
  });
}

function acceptedValues(accepted: PartitionFilter[string]): readonly (string | null)[] {
  return typeof accepted === 'string' || accepted === null ? [accepted] : accepted;
}

/** `where` as the SQL predicate recorded in the table history: "day = '2026-11-24'". */
export function partitionFilterSql(where: PartitionFilter): string {
  const lit = (v: string | null) => (v === null ? 'NULL' : `'${v.replaceAll("'", "''")}'`);
  const ident = (c: string) => `\`${c.replaceAll('`', '``')}\``;
  return Object.entries(where)
    .map(([column, accepted]) => {
      const list = acceptedValues(accepted);
      const values = list.filter((v): v is string => v !== null && v !== '');
      const parts: string[] = [];
      if (values.length === 1) parts.push(`${ident(column)} = ${lit(values[0]!)}`);
      if (values.length > 1) parts.push(`${ident(column)} IN (${values.map(lit).join(', ')})`);
      if (values.length < list.length) parts.push(`${ident(column)} IS NULL`);
      if (parts.length === 0) return 'FALSE';
      return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
    })
    .join(' AND ');
}

/** Minimal stats from the Parquet footer: the row count (no min/max: wrong bounds skip data). */
async function footerStats(localPath: string): Promise<FileStats> {
  try {
    return {
      numRecords: await parquetRowCount(localPath),
      minValues: {},
      maxValues: {},
      nullCount: {},
    };
  } catch (err) {
    throw new InvalidArgumentError(
      `'${localPath}' is not a readable Parquet file (${(err as Error).message}); only Parquet data files can be staged.`,
    );
  }
}
