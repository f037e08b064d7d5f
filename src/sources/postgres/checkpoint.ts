// The PostgreSQL source's own position, beside the replication slot's: which slot and consistent
// point its snapshot belongs to, how far each table's snapshot got (by primary key), and the end
// LSN of the last transaction whose events are durable in the log. A small JSON file, replaced
// atomically (write aside, fsync, rename), so a crash leaves the old or the new one.

import { readFile } from 'node:fs/promises';
import type { JsonValue } from './values.js';
import { writeFileAtomic } from '../checkpoint-file.js';

export interface TableSnapshotProgress {
  done: boolean;
  /** The key (in primary-key column order) of the last row appended; null before the first chunk. */
  lastKey: JsonValue[] | null;
  rows: number;
}

export interface PgCheckpoint {
  version: 1;
  slot: string;
  /** The slot's consistent point ("X/Y"); null between deciding to create the slot and having it. */
  consistentPoint: string | null;
  snapshot: { done: boolean; tables: Record<string, TableSnapshotProgress> };
  /** End LSN ("X/Y") of the last transaction durable in the log; null until the stream starts. */
  confirmedLsn: string | null;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export async function loadCheckpoint(path: string): Promise<PgCheckpoint | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const cp = JSON.parse(text) as PgCheckpoint;
    if (cp.version !== 1) throw new Error(`version ${String(cp.version)}`);
    return cp;
  } catch (err) {
    throw new CheckpointError(
      `the PostgreSQL source's checkpoint ${path} is damaged (${(err as Error).message}); ` +
        `restore it, or delete it and drop the replication slot to snapshot again`,
    );
  }
}

/** Writes any JSON checkpoint atomically (the MySQL source's too). */
export async function saveCheckpoint(path: string, cp: PgCheckpoint | object): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(cp));
}
