// The 2xx body of an accepted batch. Built the same way from the append results and from the
// records found in the log after a restart, so a retried request gets back the same body.

import type { AppendResult } from '../../log/index.js';

export interface IngestReceipt {
  source: string;
  topic: string;
  /** Null for a request sent without an Idempotency-Key (not protected against duplicates). */
  idempotencyKey: string | null;
  accepted: number;
  /** Per partition written: offsets of its first and last event of this batch, and their count. */
  partitions: Array<{ partition: number; firstOffset: number; lastOffset: number; count: number }>;
}

export function buildReceipt(
  source: string,
  topic: string,
  key: string | null,
  landed: Iterable<AppendResult>,
): IngestReceipt {
  const byPartition = new Map<number, { first: number; last: number; count: number }>();
  let accepted = 0;
  for (const { partition, offset } of landed) {
    accepted++;
    const p = byPartition.get(partition);
    if (!p) byPartition.set(partition, { first: offset, last: offset, count: 1 });
    else {
      p.first = Math.min(p.first, offset);
      p.last = Math.max(p.last, offset);
      p.count++;
    }
  }
  return {
    source,
    topic,
    idempotencyKey: key,
    accepted,
    partitions: [...byPartition]
      .sort(([a], [b]) => a - b)
      .map(([partition, p]) => ({
        partition,
        firstOffset: p.first,
        lastOffset: p.last,
        count: p.count,
      })),
  };
}
