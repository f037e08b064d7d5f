import { parseCommitFile } from './actions.js';
import { TableNotFoundError } from './errors.js';
import { commitKey, logPrefix } from './log-files.js';
import { analyzeLog } from './log-segment.js';
import type { TableLocation } from './snapshot-loader.js';

/** One commit of a table's history, as DESCRIBE HISTORY shows it. */
export interface HistoryEntry {
  version: number;
  /** Commit time, ms since the epoch (in-commit timestamp, else commitInfo, else file time). */
  timestamp: number;
  /** 'WRITE', 'MERGE', 'DELETE', 'OPTIMIZE', ...; null when the writer recorded no commitInfo. */
  operation: string | null;
  /** As the writer recorded them (Spark stores every value as a string). */
  operationParameters: Record<string, unknown>;
  readVersion: number | null;
  isBlindAppend: boolean | null;
  engineInfo: string | null;
  /** Application progress recorded by this commit (exactly-once writers). */
  txns: { appId: string; version: number }[];
  operationMetrics: Record<string, unknown> | null;
  /** The whole commitInfo action, for fields not listed above. */
  commitInfo: Record<string, unknown> | null;
}

export interface HistoryOptions {
  /** Most entries to return, newest first. Default: all. */
  limit?: number;
}

/**
 * The table's commits, newest first. Versions whose commit file metadata cleanup has removed
 * (only a checkpoint is left of them) are not listed.
 *
 * @example
 * for (const h of await tableHistory(table, { limit: 10 })) console.log(h.version, h.operation);
 */
export async function tableHistory(
  table: TableLocation,
  opts: HistoryOptions = {},
): Promise<HistoryEntry[]> {
  const prefix = logPrefix(table.tablePath);
  const listing = analyzeLog(prefix, await table.store.list(prefix));
  if (listing.latestVersion < 0) {
    throw new TableNotFoundError(table.tablePath, table.store.description);
  }
  const versions = [...listing.commits.keys()].sort((a, b) => b - a);
  const wanted = opts.limit === undefined ? versions : versions.slice(0, Math.max(0, opts.limit));
  const entries: HistoryEntry[] = [];
  // Parallel in small batches: a busy table's history is thousands of small files.
  for (let i = 0; i < wanted.length; i += 32) {
    const batch = wanted.slice(i, i + 32);
    const read = await Promise.all(batch.map((v) => readEntry(table, v)));
    for (const e of read) if (e) entries.push(e);
  }
  return entries;
}

async function readEntry(table: TableLocation, version: number): Promise<HistoryEntry | null> {
  const key = commitKey(table.tablePath, version);
  const data = await table.store.get(key);
  if (data === null) return null; // cleaned up between the listing and the read
  const actions = parseCommitFile(data.toString('utf8'), key);
  let info: Record<string, unknown> | null = null;
  const txns: { appId: string; version: number }[] = [];
  for (const a of actions) {
    if ('commitInfo' in a) info ??= a.commitInfo;
    else if ('txn' in a) txns.push({ appId: a.txn.appId, version: a.txn.version });
  }
  let timestamp = numberField(info, 'inCommitTimestamp') ?? numberField(info, 'timestamp');
  timestamp ??= (await table.store.head?.(key))?.lastModified ?? 0;
  const params = info?.operationParameters;
  const metrics = info?.operationMetrics;
  return {
    version,
    timestamp,
    operation: typeof info?.operation === 'string' ? info.operation : null,
    operationParameters: isRecord(params) ? params : {},
    readVersion: numberField(info, 'readVersion') ?? null,
    isBlindAppend: typeof info?.isBlindAppend === 'boolean' ? info.isBlindAppend : null,
    engineInfo: typeof info?.engineInfo === 'string' ? info.engineInfo : null,
    txns,
    operationMetrics: isRecord(metrics) ? metrics : null,
    commitInfo: info,
  };
}

function numberField(info: Record<string, unknown> | null, field: string): number | undefined {
  const v = info?.[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
