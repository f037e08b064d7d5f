// Options of the embedded log: what each one means, its default, and their validation.

import type { FsyncPolicy } from './partition-log.js';

const MIB = 1024 * 1024;

/**
 * How the embedded log trades durability for speed.
 *
 * The fsync policy decides when `append` resolves:
 * - `'always'` (default): after the records are written and fdatasync'ed. An acknowledged
 *   record survives a process crash, a kernel panic and a power loss (on a disk that honours
 *   flushes). Group commit keeps this fast: appends that arrive while a sync is in flight share
 *   the next write and sync, so the cost is one sync per batch, not per record.
 * - `'interval'`: after the write reaches the OS page cache; the log syncs every
 *   `fsyncIntervalMs`. Survives a process crash (kill -9); a machine crash or power loss can
 *   lose up to the last interval of acknowledged records, and their offsets are then reused
 *   by new records — consumers that already read them see different data at the same offset.
 * - `'never'`: like 'interval', but the log never syncs on its own, only on `close()`; the OS
 *   writes back when it likes. For tests and throwaway data.
 *
 * Readers only ever see records whose append has resolved.
 */
export interface EmbeddedLogOptions {
  /** When appends are made durable; see above. Default `'always'`. */
  fsync?: FsyncPolicy;
  /** Milliseconds between syncs under `fsync: 'interval'`. Default 1000. */
  fsyncIntervalMs?: number;
  /**
   * Target size of a segment file in bytes; a new segment starts when the next batch would
   * pass it (one batch may overshoot it). Retention deletes whole segments, so this is also
   * its granularity. Default 64 MiB.
   */
  segmentBytes?: number;
  /**
   * Largest record accepted, in bytes as stored (key + value + headers, plus 37 bytes of framing and 8 per header).
   * Default 1 MiB, as Kafka's message.max.bytes.
   */
  maxRecordBytes?: number;
  /**
   * Delete a segment last appended to more than this many milliseconds ago (its file time, as
   * Kafka did before time indexes; record timestamps are the sources' and may lie). Default:
   * keep forever.
   */
  retentionMs?: number;
  /**
   * Per partition: delete the oldest segments while the partition would still hold at least
   * this many bytes without them (Kafka's retention.bytes). Default: keep forever.
   */
  retentionBytes?: number;
  /** Milliseconds between retention checks. Default 300000 (5 minutes, as Kafka). */
  retentionCheckIntervalMs?: number;
}

export type ResolvedOptions = Required<Omit<EmbeddedLogOptions, 'retentionMs' | 'retentionBytes'>> &
  Pick<EmbeddedLogOptions, 'retentionMs' | 'retentionBytes'>;

export function resolveOptions(o: EmbeddedLogOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    fsync: o.fsync ?? 'always',
    fsyncIntervalMs: o.fsyncIntervalMs ?? 1000,
    segmentBytes: o.segmentBytes ?? 64 * MIB,
    maxRecordBytes: o.maxRecordBytes ?? MIB,
    retentionMs: o.retentionMs,
    retentionBytes: o.retentionBytes,
    retentionCheckIntervalMs: o.retentionCheckIntervalMs ?? 300_000,
  };
  if (!['always', 'interval', 'never'].includes(resolved.fsync)) {
    throw new RangeError(`fsync must be 'always', 'interval' or 'never', got ${String(o.fsync)}`);
  }
  for (const key of [
    'fsyncIntervalMs',
    'segmentBytes',
    'maxRecordBytes',
    'retentionMs',
    'retentionBytes',
    'retentionCheckIntervalMs',
  ] as const) {
    const v = resolved[key];
    if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) {
      throw new RangeError(`${key} must be a positive integer, got ${v}`);
    }
  }
  return resolved;
}
