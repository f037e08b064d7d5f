// One partition of a topic: its segment files, the single writer that appends to the last one
// (through group commit), reads across segments, and deletion of old segments by retention.

import { mkdir, readdir, stat } from 'node:fs/promises';
import { syncDir } from './durable-fs.js';
import { LogStorageError, OffsetOutOfRangeError } from './errors.js';
import { GroupCommit } from './group-commit.js';
import type { FrameBatch, StoredRecord } from './log.js';
import { writeFrame, type DecodedRecord, type PreparedRecord } from './record-codec.js';
import { parseSegmentFileName, Segment, type ReadLimits } from './segment.js';

export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface PartitionConfig {
  topic: string;
  partition: number;
  dir: string;
  fsync: FsyncPolicy;
  /** A segment rolls when the next batch would take it past this size. */
  segmentBytes: number;
  /** Upper bound on the bytes one write (one group commit) carries. */
  maxBatchBytes: number;
}

export interface PartitionRecovery {
  topic: string;
  partition: number;
  segment: string;
  truncatedBytes: number;
  reason: string | null;
}

export interface RetentionPolicy {
  now: number;
  retentionMs?: number;
  retentionBytes?: number;
}

export class PartitionLog {
  private readonly committer: GroupCommit<PreparedRecord[], number>;
  /** Segments written to but not synced yet (fsync policy 'interval' or 'never'). */
  private readonly unsynced = new Set<Segment>();
  /** Set once the file state is unknown; every later write fails with it. */
  private failed: LogStorageError | null = null;

  private constructor(
    private readonly cfg: PartitionConfig,
    /** Oldest first; the last one is the active segment, the only one written to. */
    private segments: Segment[],
  ) {
    this.committer = new GroupCommit((batch) => this.commit(batch), {
      weigh: (records) => records.reduce((n, r) => n + r.frameBytes, 0),
      maxBatchWeight: cfg.maxBatchBytes,
    });
  }

  /** Opens (creating if needed) the partition and recovers its last segment. */
  static async open(
    cfg: PartitionConfig,
  ): Promise<{ partition: PartitionLog; recovery: PartitionRecovery | null }> {
    await mkdir(cfg.dir, { recursive: true });
    const bases = (await readdir(cfg.dir))
      .map(parseSegmentFileName)
      .filter((b): b is number => b !== null)
      .sort((a, b) => a - b);
    if (bases.length === 0) {
      const first = await Segment.create(cfg.dir, 0);
      await syncDir(cfg.dir);
      return { partition: new PartitionLog(cfg, [first]), recovery: null };
    }
    const segments: Segment[] = [];
    for (let i = 0; i < bases.length - 1; i++) {
      segments.push(await Segment.openSealed(cfg.dir, bases[i]!, bases[i + 1]!));
    }
    const last = await Segment.recover(cfg.dir, bases[bases.length - 1]!);
    segments.push(last.segment);
    const recovery =
      last.truncatedBytes > 0
        ? {
            topic: cfg.topic,
            partition: cfg.partition,
            segment: last.segment.path,
            truncatedBytes: last.truncatedBytes,
            reason: last.reason,
          }
        : null;
    return { partition: new PartitionLog(cfg, segments), recovery };
  }

  get startOffset(): number {
    return this.segments[0]!.baseOffset;
  }

  get endOffset(): number {
    return this.active.visibleEnd;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  /**
   * Appends records that were validated and measured by the caller; resolves with the offset
   * of the first once all are as durable as the fsync policy promises. They get contiguous
   * offsets. Records submitted in one call may be split over several commits only if they
   * exceed `maxBatchBytes` together.
   */
  async append(records: PreparedRecord[]): Promise<number> {
    if (this.failed) throw this.failed;
    const items: PreparedRecord[][] = [];
    let current: PreparedRecord[] = [];
    let bytes = 0;
    for (const r of records) {
      if (current.length > 0 && bytes + r.frameBytes > this.cfg.maxBatchBytes) {
        items.push(current);
        current = [];
        bytes = 0;
      }
      current.push(r);
      bytes += r.frameBytes;
    }
    items.push(current);
    // Submitted in one synchronous loop, so no other caller's records can come between them.
    const firsts = await Promise.all(items.map((item) => this.committer.submit(item)));
    return firsts[0]!;
  }

  async read(fromOffset: number, limits: ReadLimits): Promise<StoredRecord[]> {
    const start = this.startOffset;
    const end = this.endOffset;
    if (fromOffset < start || fromOffset > end) {
      throw new OffsetOutOfRangeError(this.cfg.topic, this.cfg.partition, fromOffset, start, end);
    }
    const out: DecodedRecord[] = [];
    let bytes = 0;
    let next = fromOffset;
    while (
      next < end &&
      out.length < limits.maxRecords &&
      (bytes < limits.maxBytes || out.length === 0)
    ) {
      // Looked up and pinned with no await in between, so retention cannot delete the file
      // between choosing the segment and opening it.
      const segment = this.segmentFor(next);
      if (segment === null) break;
      segment.pin();
      try {
        bytes = await segment.read(next, limits, out, bytes);
      } finally {
        await segment.unpin();
      }
      const before = next;
      next = out.length > 0 ? out[out.length - 1]!.offset + 1 : next;
      if (next === before) next = segment.visibleEnd;
      if (next >= segment.visibleEnd && segment === this.active) break;
    }
    const { topic, partition } = this.cfg;
    return out.map((r) => ({
      topic,
      partition,
      offset: r.offset,
      key: r.key,
      value: r.value,
      headers: r.headers,
      timestamp: r.timestamp,
    }));
  }

  /** Raw frames from `fromOffset` on, for a consumer that decodes them elsewhere (see Segment.readFrames). */
  async readFrames(fromOffset: number, limits: ReadLimits): Promise<FrameBatch> {
    const start = this.startOffset;
    const end = this.endOffset;
    if (fromOffset < start || fromOffset > end) {
      throw new OffsetOutOfRangeError(this.cfg.topic, this.cfg.partition, fromOffset, start, end);
    }
    const frames: Buffer[] = [];
    let got = { records: 0, bytes: 0 };
    let next = fromOffset;
    while (
      next < end &&
      got.records < limits.maxRecords &&
      (got.bytes < limits.maxBytes || got.records === 0)
    ) {
      const segment = this.segmentFor(next);
      if (segment === null) break;
      segment.pin();
      const before = got.records;
      try {
        got = await segment.readFrames(next, limits, frames, got);
      } finally {
        await segment.unpin();
      }
      // Offsets are contiguous, so the count read says where the next segment takes over.
      next = got.records > before ? next + (got.records - before) : segment.visibleEnd;
      if (next >= segment.visibleEnd && segment === this.active) break;
    }
    return { frames, records: got.records, firstOffset: fromOffset };
  }

  /** Syncs what 'interval' and 'never' left unsynced. */
  async sync(): Promise<void> {
    for (const segment of [...this.unsynced]) {
      try {
        await segment.sync();
        this.unsynced.delete(segment);
      } catch (err) {
        throw this.fence('Syncing to disk', err);
      }
    }
  }

  /**
   * Deletes old segments whole, oldest first, never the active one:
   * - `retentionMs`: a segment last written more than this long ago (its file time; sealed
   *   segments are never modified, so that is when its newest record was appended);
   * - `retentionBytes` (per partition, as Kafka's retention.bytes): while the partition
   *   would still hold at least this many bytes without the segment.
   */
  async enforceRetention(policy: RetentionPolicy): Promise<number> {
    const sealed = this.segments.slice(0, -1);
    let total = this.segments.reduce((n, s) => n + s.bytes, 0);
    const doomed = new Set<Segment>();
    for (const segment of sealed) {
      let expired = false;
      if (policy.retentionMs !== undefined) {
        const { mtimeMs } = await stat(segment.path);
        expired = policy.now - mtimeMs > policy.retentionMs;
      }
      if (policy.retentionBytes !== undefined && total - segment.bytes >= policy.retentionBytes) {
        expired = true;
      }
      if (!expired) break;
      doomed.add(segment);
      total -= segment.bytes;
    }
    if (doomed.size === 0) return 0;
    // Drop them from the list first, so the start offset moves before any file goes.
    this.segments = this.segments.filter((s) => !doomed.has(s) || s === this.active);
    for (const segment of doomed) if (segment !== this.active) await segment.delete();
    await syncDir(this.cfg.dir);
    return doomed.size;
  }

  /** Waits for appends in flight, syncs everything and closes the files. */
  async close(): Promise<void> {
    await this.committer.idle();
    try {
      // Even with policy 'never', a clean shutdown leaves nothing unsynced behind.
      if (!this.failed) await this.sync();
    } finally {
      for (const segment of this.segments) await segment.close();
    }
  }

  private segmentFor(offset: number): Segment | null {
    const segs = this.segments;
    let lo = 0;
    let hi = segs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (segs[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? null : segs[found]!;
  }

  // One group commit: one write, then (policy 'always') one sync, then the records become
  // visible and their appends resolve.
  private async commit(batch: PreparedRecord[][]): Promise<number[]> {
    if (this.failed) throw this.failed;
    let bytes = 0;
    let count = 0;
    for (const records of batch) {
      for (const r of records) bytes += r.frameBytes;
      count += records.length;
    }
    // A batch never spans two segments, so it is written, synced and undone as one piece.
    if (this.active.bytes > 0 && this.active.bytes + bytes > this.cfg.segmentBytes) {
      await this.roll();
    }
    const segment = this.active;
    const first = segment.nextOffset;
    const data = Buffer.allocUnsafe(bytes);
    const positions = new Array<number>(count);
    const firsts = new Array<number>(batch.length);
    let pos = 0;
    let offset = first;
    for (let i = 0; i < batch.length; i++) {
      firsts[i] = offset;
      for (const r of batch[i]!) {
        positions[offset - first] = pos;
        pos = writeFrame(data, pos, r, offset);
        offset++;
      }
    }
    try {
      await segment.append(data, first, positions);
    } catch (err) {
      if (err instanceof AggregateError) throw this.fence('Writing', err);
      throw new LogStorageError(this.cfg.topic, this.cfg.partition, 'Writing', {
        retriable: true,
        cause: err,
      });
    }
    if (this.cfg.fsync === 'always') {
      try {
        await segment.sync();
      } catch (err) {
        throw this.fence('Syncing to disk', err);
      }
    } else {
      this.unsynced.add(segment);
    }
    segment.publish(segment.bytes, segment.nextOffset);
    return firsts;
  }

  private async roll(): Promise<void> {
    const old = this.active;
    // Sync the old segment before the new one exists: after a machine crash a sealed segment
    // is then always complete, and only the last segment can have a torn tail to repair.
    if (this.cfg.fsync !== 'never' && this.unsynced.has(old)) {
      try {
        await old.sync();
        this.unsynced.delete(old);
      } catch (err) {
        throw this.fence('Syncing to disk', err);
      }
    }
    let next: Segment;
    try {
      next = await Segment.create(this.cfg.dir, old.nextOffset);
    } catch (err) {
      throw new LogStorageError(this.cfg.topic, this.cfg.partition, 'Creating a segment', {
        retriable: true,
        cause: err,
      });
    }
    if (this.cfg.fsync !== 'never') {
      try {
        await syncDir(this.cfg.dir);
      } catch (err) {
        await next.close();
        throw this.fence('Syncing the partition directory', err);
      }
    }
    this.segments.push(next);
  }

  private fence(what: string, cause: unknown): LogStorageError {
    this.failed = new LogStorageError(this.cfg.topic, this.cfg.partition, what, {
      retriable: false,
      cause,
    });
    return this.failed;
  }
}
