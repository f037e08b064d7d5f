// One segment file of a partition: `<baseOffset, 20 digits>.log`, records back to back in the
// frame format of record-codec.ts. Only the last segment of a partition is written to; older
// ones are sealed and only read, until retention deletes them whole.
//
// A segment tracks two ends: what has been written to the file, and what is visible to
// readers. The partition moves the visible end forward only once a write is durable, so a
// reader never sees a record a crash could still take back, and never reads bytes that a
// write in flight is still filling in.

import { open, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { LogCorruptionError } from './errors.js';
import { decodeFrame, peekFrame, type DecodedRecord } from './record-codec.js';
import { SparseIndex } from './sparse-index.js';

const SEGMENT_SUFFIX = '.log';
const OFFSET_DIGITS = 20;
/** Kafka's index.interval.bytes: one index entry per 4 KiB of records. */
const INDEX_INTERVAL_BYTES = 4096;
const SCAN_CHUNK_BYTES = 1 << 20;
const READ_CHUNK_BYTES = 64 * 1024;
const MAX_READ_CHUNK_BYTES = 16 << 20;

export function segmentFileName(baseOffset: number): string {
  return String(baseOffset).padStart(OFFSET_DIGITS, '0') + SEGMENT_SUFFIX;
}

/** The base offset named by a segment file name, or null if the file is not a segment. */
export function parseSegmentFileName(name: string): number | null {
  if (name.length !== OFFSET_DIGITS + SEGMENT_SUFFIX.length || !name.endsWith(SEGMENT_SUFFIX)) {
    return null;
  }
  const digits = name.slice(0, OFFSET_DIGITS);
  return /^\d+$/.test(digits) ? Number(digits) : null;
}

export interface RecoveryResult {
  segment: Segment;
  /** Bytes cut off the end because they did not form complete, valid records. */
  truncatedBytes: number;
  reason: string | null;
}

export interface ReadLimits {
  maxRecords: number;
  maxBytes: number;
}

export class Segment {
  private fh: FileHandle | null;
  private index: SparseIndex | null;
  private pins = 0;
  private deleted = false;

  private constructor(
    readonly path: string,
    readonly baseOffset: number,
    private writtenBytes: number,
    private writtenEnd: number,
    fh: FileHandle | null,
    index: SparseIndex | null,
    private readonly canWrite = fh !== null,
    private visibleBytesCount = writtenBytes,
    private visibleEndOffset = writtenEnd,
  ) {
    this.fh = fh;
    this.index = index;
  }

  /** A new, empty segment to write to. Fails if the file already exists. */
  static async create(dir: string, baseOffset: number): Promise<Segment> {
    const path = join(dir, segmentFileName(baseOffset));
    const fh = await open(path, 'wx+');
    return new Segment(path, baseOffset, 0, baseOffset, fh, new SparseIndex(INDEX_INTERVAL_BYTES));
  }

  /**
   * A sealed segment, known by name and size only; its index is built on the first read.
   * `endOffset` is the next segment's base offset.
   */
  static async openSealed(dir: string, baseOffset: number, endOffset: number): Promise<Segment> {
    const path = join(dir, segmentFileName(baseOffset));
    const { size } = await stat(path);
    return new Segment(path, baseOffset, size, endOffset, null, null);
  }

  /**
   * Opens the last segment of a partition for writing after a restart. Scans every record,
   * verifying checksums and offsets, and cuts the file back to the last complete record: what
   * follows it can only be a write torn by a crash, which was never acknowledged, because
   * acknowledged records were synced before anything after them was written.
   */
  static async recover(dir: string, baseOffset: number): Promise<RecoveryResult> {
    const path = join(dir, segmentFileName(baseOffset));
    const fh = await open(path, 'r+');
    try {
      const { size: fileBytes } = await fh.stat();
      const index = new SparseIndex(INDEX_INTERVAL_BYTES);
      let pos = 0;
      let next = baseOffset;
      let reason: string | null = null;
      let chunk: Buffer = Buffer.alloc(0);
      let chunkStart = 0;
      scan: while (pos < fileBytes) {
        let frame = decodeFrame(chunk, pos - chunkStart, chunk.length);
        if (frame.kind === 'incomplete') {
          const need = frame.frameBytes ?? 0;
          if (pos + need > fileBytes) {
            reason = 'incomplete record at the end of the file';
            break;
          }
          chunk = await readAt(
            fh,
            pos,
            Math.min(Math.max(need, SCAN_CHUNK_BYTES), fileBytes - pos),
          );
          chunkStart = pos;
          frame = decodeFrame(chunk, 0, chunk.length);
          if (frame.kind === 'incomplete') {
            reason = 'incomplete record at the end of the file';
            break;
          }
        }
        switch (frame.kind) {
          case 'corrupt':
            reason = frame.reason;
            break scan;
          case 'record':
            if (frame.record.offset !== next) {
              reason = `record has offset ${frame.record.offset}, expected ${next}`;
              break scan;
            }
            index.maybeAdd(next, pos);
            next++;
            pos += frame.frameBytes;
        }
      }
      const truncatedBytes = fileBytes - pos;
      if (truncatedBytes > 0) {
        await fh.truncate(pos);
        await fh.sync();
      }
      return {
        segment: new Segment(path, baseOffset, pos, next, fh, index),
        truncatedBytes,
        reason: truncatedBytes > 0 ? reason : null,
      };
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Bytes written to the file. */
  get bytes(): number {
    return this.writtenBytes;
  }

  /** One past the last record written to the file. */
  get nextOffset(): number {
    return this.writtenEnd;
  }

  /** One past the last record readers may see. */
  get visibleEnd(): number {
    return this.visibleEndOffset;
  }

  get visibleBytes(): number {
    return this.visibleBytesCount;
  }

  /**
   * Writes `data` (whole frames for offsets nextOffset..nextOffset+count-1, starting at the
   * given positions within `data`) in one system call at the end of the file. On failure the
   * file is cut back so no partial frame stays behind; if even that fails, the error says so.
   */
  async append(
    data: Buffer,
    firstOffset: number,
    framePositions: readonly number[],
  ): Promise<void> {
    const fh = this.writable();
    const start = this.writtenBytes;
    try {
      let done = 0;
      // A single write normally takes it all; the loop covers short writes (e.g. a signal).
      while (done < data.length) {
        const { bytesWritten } = await fh.write(data, done, data.length - done, start + done);
        done += bytesWritten;
      }
    } catch (err) {
      await fh.truncate(start).catch((truncateErr: unknown) => {
        throw new AggregateError([err, truncateErr], 'write failed and could not be undone');
      });
      throw err;
    }
    for (let i = 0; i < framePositions.length; i++) {
      this.index?.maybeAdd(firstOffset + i, start + framePositions[i]!);
    }
    this.writtenBytes += data.length;
    this.writtenEnd = firstOffset + framePositions.length;
  }

  /** Flushes written data to stable storage (fdatasync: the size is part of what it flushes). */
  async sync(): Promise<void> {
    await this.writable().datasync();
  }

  /** Lets readers see everything written so far; call once it is as durable as promised. */
  publish(bytes: number, endOffset: number): void {
    this.visibleBytesCount = bytes;
    this.visibleEndOffset = endOffset;
  }

  /**
   * Appends to `out` the visible records from `fromOffset` on, within `limits`. Returns the
   * number of key + value bytes added, so the caller can carry the budget to the next segment.
   */
  async read(
    fromOffset: number,
    limits: ReadLimits,
    out: DecodedRecord[],
    bytesSoFar: number,
  ): Promise<number> {
    const end = this.visibleBytesCount;
    const fh = await this.readable();
    const index = await this.ensureIndex(fh);
    let pos = index.floor(fromOffset);
    let bytes = bytesSoFar;
    let chunk: Buffer = Buffer.alloc(0);
    let chunkStart = pos;
    while (
      pos < end &&
      out.length < limits.maxRecords &&
      (bytes < limits.maxBytes || out.length === 0)
    ) {
      let frame = decodeFrame(chunk, pos - chunkStart, chunk.length);
      if (frame.kind === 'incomplete') {
        // Enough for the whole frame, and for the rest of the byte budget up to a bound.
        const budget = Math.min(
          Math.max(READ_CHUNK_BYTES, limits.maxBytes - bytes),
          MAX_READ_CHUNK_BYTES,
        );
        chunk = await readAt(fh, pos, Math.min(Math.max(frame.frameBytes ?? 0, budget), end - pos));
        chunkStart = pos;
        frame = decodeFrame(chunk, 0, chunk.length);
      }
      if (frame.kind !== 'record') {
        throw new LogCorruptionError(
          this.path,
          `${frame.kind === 'corrupt' ? frame.reason : 'record cut short'} at byte ${pos}`,
        );
      }
      const rec = frame.record;
      pos += frame.frameBytes;
      if (rec.offset < fromOffset) continue;
      if (rec.offset >= this.visibleEndOffset) break;
      // Copy so a consumer holding one small value does not pin the whole read buffer.
      rec.value = Buffer.from(rec.value);
      out.push(rec);
      bytes += rec.value.length + (rec.key === null ? 0 : rec.key.length);
    }
    return bytes;
  }

  /**
   * Like `read`, but hands back the visible frames from `fromOffset` on as raw bytes, unparsed and
   * unverified: a consumer on another thread decodes them (decodeFrames checks every checksum),
   * so the thread that appends only pays for the file read and a walk over frame headers.
   * Appends the bytes to `out` and returns the records and key + value bytes now covered.
   */
  async readFrames(
    fromOffset: number,
    limits: ReadLimits,
    out: Buffer[],
    sofar: { records: number; bytes: number },
  ): Promise<{ records: number; bytes: number }> {
    const end = this.visibleBytesCount;
    const fh = await this.readable();
    const index = await this.ensureIndex(fh);
    let pos = index.floor(fromOffset);
    let { records, bytes } = sofar;
    let chunk: Buffer = Buffer.alloc(0);
    let chunkStart = pos;
    // The run of wanted frames inside the current chunk, [runStart, pos).
    let runStart = -1;
    const flush = () => {
      if (runStart >= 0 && pos > runStart)
        out.push(chunk.subarray(runStart - chunkStart, pos - chunkStart));
      runStart = -1;
    };
    while (pos < end && records < limits.maxRecords && (bytes < limits.maxBytes || records === 0)) {
      let head = peekFrame(chunk, pos - chunkStart, chunk.length);
      if (head === null || pos + head.frameBytes > chunkStart + chunk.length) {
        flush();
        const budget = Math.min(
          Math.max(READ_CHUNK_BYTES, limits.maxBytes - bytes),
          MAX_READ_CHUNK_BYTES,
        );
        chunk = await readAt(fh, pos, Math.min(Math.max(head?.frameBytes ?? 0, budget), end - pos));
        chunkStart = pos;
        head = peekFrame(chunk, 0, chunk.length);
        if (head === null || head.frameBytes > chunk.length) {
          throw new LogCorruptionError(this.path, `record cut short at byte ${pos}`);
        }
      }
      if (head.offset >= this.visibleEndOffset) break;
      if (head.offset >= fromOffset) {
        if (runStart < 0) runStart = pos;
        records++;
        bytes += head.frameBytes;
      }
      pos += head.frameBytes;
    }
    flush();
    return { records, bytes };
  }

  /** Keeps the file open (and on disk) while a read uses it, even if retention deletes it. */
  pin(): void {
    this.pins++;
  }

  async unpin(): Promise<void> {
    this.pins--;
    if (this.pins === 0 && this.deleted) await this.closeAndUnlink();
  }

  /** Deletes the file now, or when the last reader unpins it. */
  async delete(): Promise<void> {
    this.deleted = true;
    if (this.pins === 0) await this.closeAndUnlink();
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    await fh?.close();
  }

  private async closeAndUnlink(): Promise<void> {
    await this.close();
    await unlink(this.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  private writable(): FileHandle {
    if (this.fh === null || !this.canWrite) {
      throw new Error(`segment ${this.path} is not open for writing`);
    }
    return this.fh;
  }

  private async readable(): Promise<FileHandle> {
    if (this.fh === null) this.fh = await open(this.path, 'r');
    return this.fh;
  }

  // Sealed segments get their index on first use: opening a log with many segments then costs
  // a directory listing, not a scan of every file.
  private async ensureIndex(fh: FileHandle): Promise<SparseIndex> {
    if (this.index !== null) return this.index;
    const index = new SparseIndex(INDEX_INTERVAL_BYTES);
    const end = this.visibleBytesCount;
    let pos = 0;
    let next = this.baseOffset;
    let chunk: Buffer = Buffer.alloc(0);
    let chunkStart = 0;
    while (pos < end) {
      let head = peekFrame(chunk, pos - chunkStart, chunk.length);
      if (head === null) {
        chunk = await readAt(fh, pos, Math.min(SCAN_CHUNK_BYTES, end - pos));
        chunkStart = pos;
        head = peekFrame(chunk, 0, chunk.length);
      }
      if (head === null || head.offset !== next || pos + head.frameBytes > end) {
        throw new LogCorruptionError(this.path, `bad record header at byte ${pos}`);
      }
      index.maybeAdd(next, pos);
      next++;
      pos += head.frameBytes;
    }
    if (next !== this.visibleEndOffset) {
      throw new LogCorruptionError(
        this.path,
        `it ends at offset ${next} but the next segment starts at ${this.visibleEndOffset}`,
      );
    }
    this.index = index;
    return index;
  }
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}
