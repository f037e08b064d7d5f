// The Kafka source's own position: per source topic-partition, the next offset to read, saved only
// after every record before it is durable in Freshet's log. A small JSON file replaced atomically
// (write aside, fsync, rename, fsync the folder), so a crash leaves the old file or the new one.

import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../checkpoint-file.js';

export interface KafkaCheckpoint {
  version: 1;
  /** The cluster the offsets belong to (its id, or the configured name). */
  cluster: string;
  /** Source topic → partition → next offset to read. */
  positions: Record<string, Record<string, number>>;
  /**
   * Freshet topic → partition → the log's end offset once the last batch was durable: records the
   * source appended after this checkpoint lie past these marks (see log-recovery.ts).
   */
  logMarks?: Record<string, Record<string, number>>;
}

export class KafkaCheckpointError extends Error {
  override name = 'KafkaCheckpointError';
}

export async function loadKafkaCheckpoint(path: string): Promise<KafkaCheckpoint | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const cp = JSON.parse(text) as KafkaCheckpoint;
    if (cp.version !== 1) throw new Error(`version ${String(cp.version)}`);
    if (typeof cp.positions !== 'object' || cp.positions === null) throw new Error('no positions');
    return cp;
  } catch (err) {
    throw new KafkaCheckpointError(
      `the Kafka source's checkpoint ${path} is damaged (${(err as Error).message}); restore it, ` +
        'or delete it to resume from the consumer group offsets',
    );
  }
}

export async function saveKafkaCheckpoint(path: string, cp: KafkaCheckpoint): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(cp));
}
