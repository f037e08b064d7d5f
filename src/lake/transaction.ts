import type { Action } from './actions.js';
import { serializeActions } from './actions.js';
import { backoffDelay, sleep, type BackoffOptions } from './backoff.js';
import {
  commitFileActions,
  resolveBlindAppend,
  txnActions,
  validateCommit,
  type CommitOptions,
} from './commit-builder.js';
import { findConflict, footprintOf, type TransactionFootprint } from './conflict-checker.js';
import { CommitConflictError } from './errors.js';
import { commitKey } from './log-files.js';
import { readCommitsFrom, type TableLocation } from './snapshot-loader.js';
import type { Snapshot } from './snapshot.js';

export interface RetryPolicy {
  /** Attempts after the first lost race before giving up. */
  maxRetries: number;
  backoff: BackoffOptions;
}

/**
 * Delta's optimistic commit, in named stages:
 * 1. prepare: validate the transaction against `latest` (the newest snapshot known);
 * 2. check the commits that already landed after `opts.readVersion` for conflicts;
 * 3. write `_delta_log/<version>.json` with put-if-absent;
 * 4. on losing the race: read the winning commits, stop with CommitConflictError if one
 *    conflicts (conflict-checker.ts), else back off with jitter and try the next free version,
 *    at most `maxRetries` times.
 * Returns the committed version and the exact bytes written (as text).
 */
export async function commitOptimistically(
  table: TableLocation,
  actions: readonly Action[],
  opts: CommitOptions,
  latest: Snapshot,
  retry: RetryPolicy,
): Promise<{ version: number; payload: string }> {
  validateCommit(actions, opts, latest, table.tablePath);
  if (opts.readVersion === -1 && latest.version >= 0) {
    throw new CommitConflictError(table.tablePath, -1, 'the table was created concurrently');
  }
  const isBlindAppend = resolveBlindAppend(actions, opts);
  const footprint = footprintOf([...actions, ...txnActions(opts, 0)], opts);

  let version = await checkWinners(table, footprint, opts.readVersion, opts.readVersion + 1);
  for (let attempt = 1; ; attempt++) {
    // Stamped per attempt, so the recorded time is when the commit really happened.
    const now = Date.now();
    const fileActions = [...actions, ...txnActions(opts, now)];
    const payload = serializeActions(commitFileActions(fileActions, opts, isBlindAppend, now));
    const key = commitKey(table.tablePath, version);
    if (await table.store.putIfAbsent(key, Buffer.from(payload))) return { version, payload };
    if (attempt > retry.maxRetries) {
      throw new CommitConflictError(
        table.tablePath,
        opts.readVersion,
        `other writers won the race for ${retry.maxRetries + 1} versions in a row, the last ` +
          `${version}; the table is too busy`,
      );
    }
    // Fail fast on a conflict, then wait, then skip past whatever landed while waiting.
    version = await checkWinners(table, footprint, opts.readVersion, version);
    await sleep(backoffDelay(attempt, retry.backoff));
    version = await checkWinners(table, footprint, opts.readVersion, version);
  }
}

/**
 * Reads the commits from `from` on, throws CommitConflictError if one conflicts with the
 * transaction, and returns the first version not written yet.
 */
async function checkWinners(
  table: TableLocation,
  footprint: TransactionFootprint,
  readVersion: number,
  from: number,
): Promise<number> {
  const winners = await readCommitsFrom(table, from);
  for (const winner of winners) {
    const reason = findConflict(footprint, winner);
    if (reason) {
      throw new CommitConflictError(
        table.tablePath,
        readVersion,
        `a concurrent commit conflicts: ${reason}`,
      );
    }
  }
  return from + winners.length;
}
