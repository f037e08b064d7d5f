import type { Action } from './actions.js';

/**
 * Decides whether a transaction may still commit on top of commits that won the race for the
 * versions after the one it read (optimistic concurrency, WriteSerializable isolation as in
 * Delta's reference implementation). Pure, so each rule is tested with plain action lists.
 */

/** What a pending transaction depends on and changes. */
export interface TransactionFootprint {
  /** appIds of the txn actions it writes (exactly-once progress markers). */
  appIds: ReadonlySet<string>;
  /** Paths it removes. */
  removedPaths: ReadonlySet<string>;
  /** Paths of files whose content it read to compute its output. */
  readPaths: ReadonlySet<string>;
  /** True when its output depends on the whole table (an overwrite, a full recompute). */
  readWholeTable: boolean;
  /** Metadata domains it writes. */
  domains: ReadonlySet<string>;
  /** True when it writes metaData or protocol. */
  changesMetadata: boolean;
}

export interface WinningCommit {
  version: number;
  actions: readonly Action[];
}

/** Builds the footprint of a list of actions (plus what the caller says it read). */
export function footprintOf(
  actions: readonly Action[],
  read: { readPaths?: readonly string[]; readWholeTable?: boolean } = {},
): TransactionFootprint {
  const appIds = new Set<string>();
  const removedPaths = new Set<string>();
  const domains = new Set<string>();
  let changesMetadata = false;
  for (const a of actions) {
    if ('txn' in a) appIds.add(a.txn.appId);
    else if ('remove' in a) removedPaths.add(a.remove.path);
    else if ('domainMetadata' in a) domains.add(a.domainMetadata.domain);
    else if ('metaData' in a || 'protocol' in a) changesMetadata = true;
  }
  return {
    appIds,
    removedPaths,
    readPaths: new Set(read.readPaths ?? []),
    readWholeTable: read.readWholeTable ?? false,
    domains,
    changesMetadata,
  };
}

/**
 * The reason `txn` cannot commit after `winner`, or undefined when the two commute.
 *
 * - A new protocol or metadata (schema, partitioning, properties) invalidates everything read.
 * - The same txn appId means two writers claim the same progress: exactly-once would break.
 * - The same metadata domain written twice: the protocol says such transactions conflict.
 * - A file this transaction removes or read was removed by the winner: deleted twice, or read
 *   data that is gone.
 * - New data added by a winner that is not a blind append, when this transaction read the whole
 *   table or changes metadata: its result would miss that data. (Blind appends do not conflict
 *   with an overwrite under WriteSerializable: the append is ordered after it and survives.)
 *
 * Two blind appends never conflict, which is what lets many writers append at once.
 */
export function findConflict(txn: TransactionFootprint, winner: WinningCommit): string | undefined {
  const info = winner.actions.find((a) => 'commitInfo' in a);
  const winnerIsBlindAppend =
    info !== undefined && 'commitInfo' in info && info.commitInfo.isBlindAppend === true;
  const at = `version ${winner.version}`;
  for (const a of winner.actions) {
    if ('protocol' in a) return `${at} changed the table protocol`;
    if ('metaData' in a)
      return `${at} changed the table metadata (schema, partitioning or properties)`;
    if ('txn' in a && txn.appIds.has(a.txn.appId)) {
      return `${at} recorded progress for the same application id '${a.txn.appId}' (version ${a.txn.version})`;
    }
    if ('domainMetadata' in a && txn.domains.has(a.domainMetadata.domain)) {
      return `${at} also wrote metadata domain '${a.domainMetadata.domain}'`;
    }
    if ('remove' in a) {
      const path = a.remove.path;
      if (txn.removedPaths.has(path))
        return `${at} already removed file '${path}' that this commit removes`;
      if (txn.readPaths.has(path) || txn.readWholeTable) {
        return `${at} removed file '${path}' that this commit read`;
      }
    }
    if ('add' in a && a.add.dataChange && !winnerIsBlindAppend) {
      if (txn.readWholeTable || txn.changesMetadata) {
        return `${at} added data ('${a.add.path}') that this commit did not see`;
      }
    }
  }
  if (txn.changesMetadata && winner.actions.some((a) => 'add' in a)) {
    return `${at} added files while this commit changes the table metadata`;
  }
  return undefined;
}
