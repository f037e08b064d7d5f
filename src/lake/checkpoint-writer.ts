import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Action } from './actions.js';
import { CHECKPOINT_COLUMNS } from './checkpoint-schema.js';
import {
  parseLastCheckpoint,
  serializeLastCheckpoint,
  type LastCheckpoint,
} from './last-checkpoint.js';
import { classicCheckpointKey, lastCheckpointKey } from './log-files.js';
import type { ObjectStore } from './object-store.js';
import { writeParquetRows } from './parquet-codec.js';
import type { TableSnapshot } from './snapshot.js';
import { deletedFileRetentionMs, parseInterval } from './table-properties.js';

/**
 * The rows of a checkpoint for `snapshot` (PROTOCOL.md, "Checkpoints"): protocol, metadata, every
 * txn and live domain, the active files, and the tombstones that have not expired yet. No
 * commitInfo: it belongs to one commit, not to the table state.
 */
export function checkpointActions(snapshot: TableSnapshot, now: number): Action[] {
  const { state } = snapshot;
  const config = snapshot.metadata.configuration;
  const rows: Action[] = [{ protocol: snapshot.protocol }, { metaData: snapshot.metadata }];

  // Transaction identifiers are kept forever unless the table sets a retention for them.
  const txnRetention = parseInterval(config['delta.setTransactionRetentionDuration']);
  for (const txn of state.txns.values()) {
    if (txnRetention !== undefined && (txn.lastUpdated ?? now) < now - txnRetention) continue;
    rows.push({ txn });
  }
  for (const domainMetadata of state.domains.values()) rows.push({ domainMetadata });

  for (const add of state.files.values()) {
    // dataChange is false: replaying a checkpoint changes no data, it restates it.
    rows.push({
      add: {
        path: add.path,
        partitionValues: add.partitionValues,
        size: add.size,
        modificationTime: add.modificationTime,
        dataChange: false,
        ...(add.stats === undefined ? {} : { stats: add.stats }),
        ...(add.tags === undefined ? {} : { tags: add.tags }),
      },
    });
  }

  const cutoff = now - deletedFileRetentionMs(config);
  for (const remove of state.tombstones.values()) {
    if ((remove.deletionTimestamp ?? 0) < cutoff) continue;
    const extended = remove.partitionValues !== undefined && remove.size !== undefined;
    rows.push({
      remove: {
        path: remove.path,
        ...(remove.deletionTimestamp === undefined
          ? {}
          : { deletionTimestamp: remove.deletionTimestamp }),
        dataChange: false,
        ...(extended
          ? {
              extendedFileMetadata: true,
              partitionValues: remove.partitionValues,
              size: remove.size,
            }
          : {}),
      },
    });
  }
  return rows;
}

/**
 * Writes `<version>.checkpoint.parquet` for the snapshot, then points `_last_checkpoint` at it
 * (unless it already points at a newer one). Safe to race: two writers produce equivalent files,
 * and the protocol lets the last one win.
 */
export async function writeCheckpoint(
  store: ObjectStore,
  tablePath: string,
  snapshot: TableSnapshot,
  now = Date.now(),
): Promise<LastCheckpoint> {
  const rows = checkpointActions(snapshot, now);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'freshet-checkpoint-'));
  let hint: LastCheckpoint;
  try {
    const file = path.join(dir, 'checkpoint.parquet');
    await writeParquetRows(rows, CHECKPOINT_COLUMNS, file);
    const { size: sizeInBytes } = await fs.stat(file);
    await store.putFile(classicCheckpointKey(tablePath, snapshot.version), file);
    hint = {
      version: snapshot.version,
      size: rows.length,
      sizeInBytes,
      numOfAddFiles: snapshot.state.files.size,
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }

  const hintKey = lastCheckpointKey(tablePath);
  const current = await store.get(hintKey);
  const currentHint = current === null ? undefined : parseLastCheckpoint(current);
  if (!currentHint || currentHint.version < hint.version) {
    await store.put(hintKey, serializeLastCheckpoint(hint));
  }
  return hint;
}
