// The MySQL source's own position: the binlog position its snapshot is consistent with, how far
// each table's snapshot got (by primary key), and the position (and GTID position) after the last
// transaction whose events are durable in the log. Written atomically by the PostgreSQL source's
// writer (aside, fsync, rename), so a crash leaves the old file or the new one.

import { readFile } from 'node:fs/promises';
import {
  CheckpointError,
  saveCheckpoint,
  type TableSnapshotProgress,
} from '../postgres/checkpoint.js';
import type { BinlogPosition } from './envelope.js';

export interface MysqlCheckpoint {
  version: 1;
  kind: 'mysql';
  /** Where the stream starts after the snapshot; null before it was read. */
  snapshotPosition: BinlogPosition | null;
  snapshotGtid: string | null;
  snapshot: { done: boolean; tables: Record<string, TableSnapshotProgress> };
  /** End of the last transaction durable in the log; null until the stream confirmed one. */
  confirmed: BinlogPosition | null;
  /** MariaDB @@gtid_binlog_pos-style position of that transaction (domain-server-seq), if known. */
  confirmedGtid: string | null;
}

export async function loadMysqlCheckpoint(path: string): Promise<MysqlCheckpoint | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const cp = JSON.parse(text) as MysqlCheckpoint;
    if (cp.version !== 1 || cp.kind !== 'mysql') throw new Error('not a MySQL source checkpoint');
    return cp;
  } catch (err) {
    throw new CheckpointError(
      `the MySQL source's checkpoint ${path} is damaged (${(err as Error).message}); restore it, or delete it to snapshot again`,
    );
  }
}

export const saveMysqlCheckpoint = (path: string, cp: MysqlCheckpoint): Promise<void> =>
  saveCheckpoint(path, cp);
