import { decodeLogPath } from './data-file-paths.js';
import type { DeltaTable } from './delta-table.js';
import { InvalidArgumentError, TableNotFoundError } from './errors.js';
import { LOG_DIR } from './log-files.js';
import { checkWritable } from './table-features.js';
import { deletedFileRetentionMs } from './table-properties.js';

/**
 * VACUUM: deletes the files in a table's folder that no version inside the retention period
 * references. Two kinds go:
 *
 * - removed files whose remove tombstone is older than the retention (compacted, deleted or
 *   overwritten data that time travel inside the retention no longer needs);
 * - orphans: files the log never referenced (a writer staged them and died before committing, or
 *   lost a commit race and gave up), once they are older than the retention, so a file a live
 *   writer has staged but not yet committed is never taken.
 *
 * `_delta_log/` and every other hidden path (a segment starting with '_' or '.', except a
 * partition folder such as `_day=…`) are never touched. Deleting is outside the log, so it is
 * safe while others read and write, as long as the retention is longer than any reader holds an
 * old snapshot and any writer takes between staging a file and committing it.
 */

export interface VacuumOptions {
  /**
   * Keep files removed less than this long ago, and orphans younger than this, in ms. Default:
   * the table's `delta.deletedFileRetentionDuration` (7 days when unset).
   */
  retentionMs?: number;
  /** List what would be deleted and delete nothing. Default false. */
  dryRun?: boolean;
  /**
   * Allow a retention shorter than the table's `delta.deletedFileRetentionDuration`. Default
   * false: readers of versions inside the configured retention could lose their files, and a
   * very short retention can take a file a writer has staged but not committed yet.
   */
  allowShortRetention?: boolean;
  /**
   * Record the run in the table history (VACUUM START / VACUUM END commits with no data
   * actions, as Delta does). Default true; dry runs never commit.
   */
  recordInHistory?: boolean;
  /** Deletes in flight at once. Default 16. */
  concurrency?: number;
  /** The clock, in ms since the epoch. Default Date.now(). */
  now?: number;
}

export interface VacuumedFile {
  /** Path relative to the table root (decoded, as on disk). */
  path: string;
  size: number;
  /** 'removed': a tombstone older than the retention; 'orphan': never committed. */
  reason: 'removed' | 'orphan';
}

export interface VacuumResult {
  /** The snapshot version whose references were kept. */
  version: number;
  retentionMs: number;
  dryRun: boolean;
  /** Files deleted (or, in a dry run, that would be). */
  files: VacuumedFile[];
  bytes: number;
  /** Unreferenced files kept because they are younger than the retention. */
  keptRecent: number;
}

/**
 * Vacuums `table`. Throws TableNotFoundError for a folder without a log, InvalidArgumentError for
 * a retention shorter than the table's own without `allowShortRetention`, and
 * UnsupportedFeatureError for a table with features Freshet cannot write (deletion vector files,
 * for example, are referenced in ways it does not track).
 *
 * @example
 * const { files } = await vacuum(table, { dryRun: true });
 */
export async function vacuum(table: DeltaTable, opts: VacuumOptions = {}): Promise<VacuumResult> {
  const now = opts.now ?? Date.now();
  const dryRun = opts.dryRun ?? false;
  const root = table.tablePath === '' ? '' : `${table.tablePath}/`;
  // List before taking the snapshot: whatever is committed after the listing is either not in
  // it or younger than the retention, so it is never taken.
  const keys = await table.store.list(root);
  const snapshot = await table.snapshot();
  if (snapshot.version < 0) throw new TableNotFoundError(table.tablePath, table.store.description);
  checkWritable(snapshot.protocol, snapshot.metadata, table.tablePath);

  const configured = deletedFileRetentionMs(snapshot.metadata.configuration);
  const retentionMs = opts.retentionMs ?? configured;
  if (!Number.isFinite(retentionMs) || retentionMs < 0) {
    throw new InvalidArgumentError(`A retention is a duration >= 0 ms, got ${retentionMs}.`);
  }
  if (retentionMs < configured && !opts.allowShortRetention) {
    throw new InvalidArgumentError(
      `A retention of ${hours(retentionMs)} is shorter than the ${hours(configured)} of ` +
        `delta.deletedFileRetentionDuration on '${table.tablePath}': readers of older versions ` +
        `could lose files. Allow it explicitly (allowShortRetention, or --force) only when no ` +
        `reader needs those versions.`,
    );
  }
  const cutoff = now - retentionMs;

  const referenced = new Set<string>();
  for (const add of snapshot.files) referenced.add(relativePath(add.path));
  const expired = new Set<string>();
  for (const remove of snapshot.tombstones) {
    const path = relativePath(remove.path);
    if ((remove.deletionTimestamp ?? 0) > cutoff) referenced.add(path);
    else expired.add(path);
  }

  const partitionColumns = snapshot.partitionColumns;
  const candidates = keys
    .map((key) => key.slice(root.length))
    .filter((path) => !referenced.has(path) && !isHidden(path, partitionColumns));
  const files: VacuumedFile[] = [];
  let keptRecent = 0;
  await forEachLimited(candidates, opts.concurrency ?? 16, async (path) => {
    const info = table.store.head ? await table.store.head(root + path) : null;
    if (info === null && table.store.head) return; // gone meanwhile
    // Without a modification time a file's age is unknown: only a zero retention may take it.
    const lastModified = info?.lastModified ?? now;
    if (lastModified > cutoff) {
      keptRecent++;
      return;
    }
    files.push({
      path,
      size: info?.size ?? 0,
      reason: expired.has(path) ? 'removed' : 'orphan',
    });
  });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const bytes = files.reduce((n, f) => n + f.size, 0);
  const result: VacuumResult = {
    version: snapshot.version,
    retentionMs,
    dryRun,
    files,
    bytes,
    keptRecent,
  };
  if (dryRun || files.length === 0) return result;

  const record = opts.recordInHistory ?? true;
  if (record) {
    await table.commit([], {
      operation: 'VACUUM START',
      operationParameters: {
        retentionCheckEnabled: !opts.allowShortRetention,
        specifiedRetentionMillis: retentionMs,
        defaultRetentionMillis: configured,
      },
      readVersion: snapshot.version,
      isBlindAppend: false,
      commitInfo: {
        operationMetrics: { numFilesToDelete: files.length, sizeOfDataToDelete: bytes },
      },
    });
  }
  await forEachLimited(files, opts.concurrency ?? 16, (f) => table.store.delete(root + f.path));
  if (record) {
    const latest = await table.snapshot();
    await table.commit([], {
      operation: 'VACUUM END',
      operationParameters: { status: 'COMPLETED' },
      readVersion: latest.version,
      isBlindAppend: false,
      commitInfo: {
        operationMetrics: { numDeletedFiles: files.length, numVacuumedDirectories: 0 },
      },
    });
  }
  return result;
}

/** The table-relative path of a log path; absolute URIs (files outside the table) map to ''. */
function relativePath(logPath: string): string {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(logPath) ? '' : decodeLogPath(logPath);
}

/**
 * Delta's rule for what VACUUM leaves alone: the log, and any folder or file whose name starts
 * with '_' or '.', unless it is a partition folder ('<partition column>=<value>'). Also the
 * top-level `metadata/` folder, where Iceberg metadata over the same files lives (Delta itself
 * learned to skip it: delta-io/delta#2273); it is referenced by no Delta version, and deleting
 * it would break every Iceberg reader.
 */
export function isHidden(path: string, partitionColumns: readonly string[]): boolean {
  const segments = path.split('/');
  if (segments[0] === LOG_DIR || (segments[0] === ICEBERG_METADATA_DIR && segments.length > 1))
    return true;
  return segments.some(
    (s, i) =>
      (s.startsWith('_') || s.startsWith('.')) &&
      !(i < segments.length - 1 && partitionColumns.some((c) => s.startsWith(`${c}=`))),
  );
}

const ICEBERG_METADATA_DIR = 'metadata';

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return `${Number.isInteger(h) ? h : h.toFixed(2)} hour${h === 1 ? '' : 's'}`;
}

async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}
