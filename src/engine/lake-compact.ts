import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CommitConflictError,
  TableNotFoundError,
  checkWritable,
  removeAction,
  type AddFile,
  type DeltaTable,
} from '../lake/index.js';
import { EngineError } from './errors.js';
import { commitOrDiscard } from './lake-dml.js';
import { computeStats } from './lake-tables.js';
import { statsRows } from './lake-rewrite.js';
import { quoteLiteral, type Connection } from './session.js';

/**
 * Compaction (Delta's OPTIMIZE without Z-order): a streaming writer commits a small file every few
 * hundred ms, and a table of ten thousand small files is slow to plan and to scan. Small files of
 * each partition are bin-packed, in commit order (so time-ordered data keeps tight statistics),
 * into files of about the target size, and all bins are swapped in ONE commit of removes and
 * adds with dataChange=false: readers that follow the table's changes see no new data.
 *
 * Safe while writers append: the commit reads exactly the files it removes, so blind appends
 * committed meanwhile commute with it (they are neither read nor removed). A concurrent commit
 * that removes one of those files (a delete, a merge, an overwrite) conflicts; compaction then
 * discards its output and plans again on a fresh snapshot, up to `maxAttempts` times.
 */

export interface CompactOptions {
  /** Folder for the files DuckDB writes before they move into the table. */
  tmpDir: string;
  /** Size a compacted file aims at, in bytes; smaller files are candidates. Default 128 MiB. */
  targetFileBytes?: number;
  /** Also close a bin at this many rows (and leave files this large alone). Default: no limit. */
  targetRows?: number;
  /** Plans tried when concurrent commits conflict. Default 3. */
  maxAttempts?: number;
}

export interface CompactResult {
  /** The committed version, or the version read when there was nothing to compact. */
  version: number;
  committed: boolean;
  filesRemoved: number;
  filesAdded: number;
  bytesRemoved: number;
  bytesAdded: number;
  rows: number;
  /** Partitions that had a bin to compact. */
  partitions: number;
  /** Plans made (more than 1 after a conflict). */
  attempts: number;
}

export const DEFAULT_TARGET_FILE_BYTES = 128 * 1024 * 1024;

/**
 * Groups of files to rewrite as one file each: per partition, in snapshot (commit) order, files
 * below the targets are packed until the next would overflow the target size or the bin reached
 * the target rows. Files with deletion vectors are left alone. Bins of one file are dropped:
 * rewriting a file alone gains nothing. Pure.
 */
export function planCompaction(
  files: readonly AddFile[],
  partitionColumns: readonly string[],
  opts: { targetFileBytes?: number; targetRows?: number } = {},
): AddFile[][] {
  const targetBytes = opts.targetFileBytes ?? DEFAULT_TARGET_FILE_BYTES;
  const targetRows = opts.targetRows ?? Infinity;
  const partitions = new Map<string, AddFile[]>();
  for (const f of files) {
    const rows = statsRows(f) ?? 0;
    if (f.deletionVector || f.size >= targetBytes || rows >= targetRows) continue;
    const key = JSON.stringify(partitionColumns.map((c) => f.partitionValues[c] ?? null));
    const list = partitions.get(key);
    if (list) list.push(f);
    else partitions.set(key, [f]);
  }
  const bins: AddFile[][] = [];
  for (const list of partitions.values()) {
    let bin: AddFile[] = [];
    let bytes = 0;
    let rows = 0;
    for (const f of list) {
      const fileRows = statsRows(f) ?? 0;
      if (bin.length > 0 && (bytes + f.size > targetBytes || rows >= targetRows)) {
        bins.push(bin);
        bin = [];
        bytes = 0;
        rows = 0;
      }
      bin.push(f);
      bytes += f.size;
      rows += fileRows;
    }
    bins.push(bin);
  }
  return bins.filter((b) => b.length > 1);
}

/**
 * Compacts `table` (see the module comment). Returns what was done; `committed` is false when no
 * partition had two small files.
 *
 * @example
 * const r = await compactTable(conn, table, { tmpDir: '/data/tmp' });
 * console.log(`${r.filesRemoved} files -> ${r.filesAdded}`);
 */
export async function compactTable(
  conn: Connection,
  table: DeltaTable,
  opts: CompactOptions,
): Promise<CompactResult> {
  const maxAttempts = opts.maxAttempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await compactOnce(conn, table, opts, attempt);
    } catch (err) {
      if (!(err instanceof CommitConflictError) || attempt >= maxAttempts) throw err;
    }
  }
}

async function compactOnce(
  conn: Connection,
  table: DeltaTable,
  opts: CompactOptions,
  attempt: number,
): Promise<CompactResult> {
  const snapshot = await table.snapshot();
  if (snapshot.version < 0) throw new TableNotFoundError(table.tablePath, table.store.description);
  checkWritable(snapshot.protocol, snapshot.metadata, table.tablePath);
  const targetFileBytes = opts.targetFileBytes ?? DEFAULT_TARGET_FILE_BYTES;
  const bins = planCompaction(snapshot.files, snapshot.partitionColumns, {
    targetFileBytes,
    targetRows: opts.targetRows,
  });
  const result: CompactResult = {
    version: snapshot.version,
    committed: false,
    filesRemoved: 0,
    filesAdded: 0,
    bytesRemoved: 0,
    bytesAdded: 0,
    rows: 0,
    partitions: new Set(bins.map((b) => JSON.stringify(b[0]!.partitionValues))).size,
    attempts: attempt,
  };
  if (bins.length === 0) return result;

  const work = join(opts.tmpDir, `compact-${randomUUID()}`);
  await mkdir(work, { recursive: true });
  const adds: AddFile[] = [];
  try {
    for (const bin of bins) adds.push(await rewriteBin(conn, table, bin, work));
  } catch (err) {
    await Promise.all(adds.map((f) => table.discardStagedFile(f).catch(() => undefined)));
    throw err;
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  const removed = bins.flat();
  const now = Date.now();
  result.filesRemoved = removed.length;
  result.filesAdded = adds.length;
  result.bytesRemoved = removed.reduce((n, f) => n + f.size, 0);
  result.bytesAdded = adds.reduce((n, f) => n + f.size, 0);
  result.rows = adds.reduce((n, f) => n + (statsRows(f) ?? 0), 0);
  result.version = await commitOrDiscard(
    table,
    adds,
    [...removed.map((f) => removeAction(f, false, now)), ...adds.map((add) => ({ add }))],
    {
      operation: 'OPTIMIZE',
      operationParameters: {
        predicate: '[]',
        zOrderBy: '[]',
        targetSize: String(targetFileBytes),
      },
      readVersion: snapshot.version,
      isBlindAppend: false,
      readPaths: removed.map((f) => f.path),
      commitInfo: {
        operationMetrics: {
          numRemovedFiles: result.filesRemoved,
          numAddedFiles: result.filesAdded,
          numRemovedBytes: result.bytesRemoved,
          numAddedBytes: result.bytesAdded,
          numPartitionsOptimized: result.partitions,
        },
      },
    },
  );
  result.committed = true;
  return result;
}

/** One bin -> one staged file in the same partition, rows in bin order, dataChange=false. */
async function rewriteBin(
  conn: Connection,
  table: DeltaTable,
  bin: readonly AddFile[],
  work: string,
): Promise<AddFile> {
  const file = join(work, `${randomUUID()}.parquet`);
  const list = bin.map((f) => quoteLiteral(table.fileUri(f))).join(', ');
  // union_by_name: files written before a column was added lack it; hive_partitioning off: the
  // partition columns stay out of the data file, as the protocol wants.
  await conn.run(
    `COPY (SELECT * FROM read_parquet([${list}], union_by_name = true, hive_partitioning = false))
     TO ${quoteLiteral(file)} (FORMAT parquet, COMPRESSION snappy)`,
  );
  const stats = await computeStats(conn, `(SELECT * FROM read_parquet(${quoteLiteral(file)}))`);
  const inputRows = bin.map(statsRows);
  if (inputRows.every((n) => n !== undefined)) {
    const expected = inputRows.reduce((a, b) => a! + b!, 0)!;
    if (expected !== stats.numRecords) {
      throw new EngineError(
        `compacting ${bin.length} files of '${table.tablePath}' gave ${stats.numRecords} rows, their statistics say ${expected}; nothing was committed`,
      );
    }
  }
  const add = await table.stageDataFile(file, { partitionValues: bin[0]!.partitionValues, stats });
  return { ...add, dataChange: false };
}
