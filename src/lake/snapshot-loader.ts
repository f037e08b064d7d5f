import { parseCommitFile, type Action } from './actions.js';
import { readCheckpoint } from './checkpoint-reader.js';
import { CorruptLogError, VersionNotFoundError } from './errors.js';
import { parseLastCheckpoint } from './last-checkpoint.js';
import {
  classicCheckpointKey,
  commitKey,
  lastCheckpointKey,
  logPrefix,
  multipartCheckpointKey,
} from './log-files.js';
import { ReplayState } from './log-replay.js';
import { analyzeLog, missingCommits, planSegments, type LogSegment } from './log-segment.js';
import type { ObjectStore } from './object-store.js';
import { TableSnapshot } from './snapshot.js';
import { checkReadable } from './table-features.js';

/**
 * Builds snapshots from the log: from scratch (via `_last_checkpoint`, else a listing), at a
 * given version (time travel), or incrementally from an older snapshot by reading only the
 * commits after it.
 */

export interface TableLocation {
  readonly store: ObjectStore;
  readonly tablePath: string;
}

/** The latest snapshot, or undefined when the table has no log at all. */
export async function loadLatestSnapshot(table: TableLocation): Promise<TableSnapshot | undefined> {
  const fromHint = await loadFromLastCheckpoint(table);
  if (fromHint) return fromHint;
  return loadFromListing(table, undefined);
}

/** The snapshot at `version` (VersionNotFoundError when the log cannot rebuild it). */
export async function loadSnapshotAt(
  table: TableLocation,
  version: number,
): Promise<TableSnapshot | undefined> {
  return loadFromListing(table, version);
}

/**
 * `snapshot` brought up to date with the commits written after it (none: the same object).
 * Reads only the new commit files, never the whole log, and does not touch `snapshot`.
 */
export async function updateSnapshot(
  table: TableLocation,
  snapshot: TableSnapshot,
  upTo = Infinity,
): Promise<TableSnapshot> {
  const commits = await readCommitsFrom(table, snapshot.version + 1, upTo);
  if (commits.length === 0) return snapshot;
  const state = snapshot.state.clone();
  for (const commit of commits) state.applyCommit(commit.version, commit.actions);
  return finish(table, state, snapshot);
}

/** The actions of one commit, or null when that version has not been written. */
export async function readCommit(table: TableLocation, version: number): Promise<Action[] | null> {
  const key = commitKey(table.tablePath, version);
  const data = await table.store.get(key);
  return data === null ? null : parseCommitFile(data.toString('utf8'), key);
}

/**
 * The contiguous run of commits starting at `from` (stops at the first version not written yet,
 * or after `upTo`). Probes with growing batches of parallel reads: usually there are zero or one
 * new commits, but a reader that fell behind catches up without one round trip per commit.
 */
export async function readCommitsFrom(
  table: TableLocation,
  from: number,
  upTo = Infinity,
): Promise<{ version: number; actions: Action[] }[]> {
  const out: { version: number; actions: Action[] }[] = [];
  let next = from;
  let batch = 1;
  while (next <= upTo) {
    const versions: number[] = [];
    for (let v = next; v < next + batch && v <= upTo; v++) versions.push(v);
    const results = await Promise.all(versions.map((v) => readCommit(table, v)));
    for (const [i, actions] of results.entries()) {
      if (actions === null) return out;
      out.push({ version: versions[i]!, actions });
    }
    next += versions.length;
    batch = Math.min(batch * 2, 32);
  }
  return out;
}

/**
 * Fast path: the checkpoint named by `_last_checkpoint`, then the commits after it, found by
 * probing version after version rather than listing a log that may hold many thousands of files.
 * A stale hint is still correct: metadata cleanup deletes old checkpoints together with the
 * commits after them, so a hint either leads to a complete chain or to a missing checkpoint.
 */
async function loadFromLastCheckpoint(table: TableLocation): Promise<TableSnapshot | undefined> {
  const data = await table.store.get(lastCheckpointKey(table.tablePath));
  const hint = data === null ? undefined : parseLastCheckpoint(data);
  if (!hint) return undefined;
  const parts = hint.parts ?? 1;
  const keys = hint.v2Checkpoint
    ? [logPrefix(table.tablePath) + hint.v2Checkpoint.path]
    : parts === 1
      ? [classicCheckpointKey(table.tablePath, hint.version)]
      : Array.from({ length: parts }, (_, i) =>
          multipartCheckpointKey(table.tablePath, hint.version, i + 1, parts),
        );
  try {
    const state = new ReplayState();
    state.applyCheckpoint(hint.version, await readCheckpoint(table.store, keys));
    const commits = await readCommitsFrom(table, hint.version + 1);
    for (const commit of commits) state.applyCommit(commit.version, commit.actions);
    return await finish(table, state);
  } catch (err) {
    // A stale hint (checkpoint cleaned up) or a damaged checkpoint: list the log instead.
    if (err instanceof CorruptLogError) return undefined;
    throw err;
  }
}

async function loadFromListing(
  table: TableLocation,
  version: number | undefined,
): Promise<TableSnapshot | undefined> {
  const prefix = logPrefix(table.tablePath);
  const listing = analyzeLog(prefix, await table.store.list(prefix));
  if (listing.latestVersion < 0) return undefined;
  const target = version ?? listing.latestVersion;
  if (target > listing.latestVersion) {
    throw new VersionNotFoundError(
      table.tablePath,
      target,
      `the latest version is ${listing.latestVersion}`,
    );
  }
  const plans = planSegments(listing, target);
  for (const [i, plan] of plans.entries()) {
    try {
      return await replaySegment(table, plan);
    } catch (err) {
      // An unreadable checkpoint or compaction file is not fatal while another way remains.
      const isLast = i === plans.length - 1;
      const optional = plan.checkpoint || plan.commits.some((c) => c.from !== undefined);
      if (err instanceof CorruptLogError && optional && !isLast) continue;
      throw err;
    }
  }
  const hasCheckpointBefore = listing.checkpoints.some((c) => c.version <= target);
  if (version !== undefined && !hasCheckpointBefore && !listing.commits.has(0)) {
    let earliest = Infinity;
    for (const v of listing.commits.keys()) earliest = Math.min(earliest, v);
    throw new VersionNotFoundError(
      table.tablePath,
      target,
      `the log before version ${earliest} has been cleaned up and no checkpoint covers it`,
    );
  }
  const from = (listing.checkpoints.find((c) => c.version <= target)?.version ?? -1) + 1;
  throw new CorruptLogError(
    prefix,
    `commit file(s) for version(s) ${missingCommits(listing, from, target).join(', ')} are missing`,
  );
}

async function replaySegment(table: TableLocation, segment: LogSegment): Promise<TableSnapshot> {
  const state = new ReplayState();
  if (segment.checkpoint) {
    const actions = await readCheckpoint(table.store, segment.checkpoint.keys);
    state.applyCheckpoint(segment.checkpoint.version, actions);
  }
  for (const commit of segment.commits) {
    // A log compaction file (commit.from set) is read like a commit: its actions are reconciled.
    const data = await table.store.get(commit.key);
    if (data === null) {
      throw new CorruptLogError(commit.key, 'the log file disappeared while it was being read');
    }
    state.applyCommit(commit.version, parseCommitFile(data.toString('utf8'), commit.key));
  }
  return finish(table, state);
}

/** Checks readability, finds the commit time, and wraps the state into a snapshot. */
async function finish(
  table: TableLocation,
  state: ReplayState,
  previous?: TableSnapshot,
): Promise<TableSnapshot> {
  const logKey = commitKey(table.tablePath, state.version);
  if (state.protocol) checkReadable(state.protocol, state.metadata, table.tablePath);
  if (state.commitInfo === undefined) {
    // The state ends on a checkpoint, which keeps no commitInfo: read it from that version's
    // commit file if metadata cleanup has left it.
    const actions = await readCommit(table, state.version).catch(() => null);
    const info = actions?.find((a) => 'commitInfo' in a);
    if (info && 'commitInfo' in info) state.commitInfo = info.commitInfo;
  }
  const timestamp = await commitTimestamp(table, state);
  return new TableSnapshot(state, timestamp, logKey, previous);
}

/**
 * When the version was committed: the in-commit timestamp if the writer recorded one, else the
 * commitInfo timestamp, else the commit file's modification time (the protocol's definition).
 */
async function commitTimestamp(table: TableLocation, state: ReplayState): Promise<number> {
  const info = state.commitInfo;
  for (const field of ['inCommitTimestamp', 'timestamp']) {
    const v = info?.[field];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  const head =
    (await table.store.head?.(commitKey(table.tablePath, state.version))) ??
    (await table.store.head?.(classicCheckpointKey(table.tablePath, state.version)));
  return head?.lastModified ?? 0;
}
