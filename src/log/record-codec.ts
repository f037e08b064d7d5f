// How one record is laid out in a segment file. Pure functions over buffers, no I/O.
//
// frame = bodyLength u32 | crc32(body) u32 | body
// body  = magic u8 (1) | offset u64 | timestamp i64 (epoch ms)
//       | keyLength i32 (-1 = null) | key utf8
//       | headerCount u32 | (nameLength u32 | name utf8 | valueLength u32 | value utf8)*
//       | valueLength u32 | value
// All integers big-endian. The length prefix lets a reader skip a record without parsing it;
// the checksum over the whole body is what tells a complete record from a torn or garbage
// tail after a crash (a length alone cannot: a torn write can leave a plausible length).
// CRC32 rather than Kafka's CRC32C because Node has a native CRC32 (zlib.crc32) and a
// checksum computed in JavaScript would cost more than the write itself.

import { crc32 } from 'node:zlib';
import type { StoredRecord } from './log.js';

export const FRAME_HEADER_BYTES = 8;
const MAGIC = 1;
const FIXED_BODY_BYTES = 1 + 8 + 8 + 4 + 4 + 4;
/** The smallest body a real record can have; anything shorter is garbage (e.g. zeroed pages). */
export const MIN_BODY_BYTES = FIXED_BODY_BYTES;
const MAX_BODY_BYTES = 0x7fffffff;
const TWO_32 = 0x1_0000_0000;

export interface RecordFields {
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: number;
}

export interface DecodedRecord extends RecordFields {
  offset: number;
}

/** A record measured for encoding, so UTF-8 lengths are computed once. */
export interface PreparedRecord {
  readonly fields: RecordFields;
  readonly keyBytes: number;
  readonly headerBytes: ReadonlyArray<readonly [string, number, string, number]>;
  /** Size of the whole frame on disk. */
  readonly frameBytes: number;
}

export function prepareRecord(fields: RecordFields): PreparedRecord {
  const keyBytes = fields.key === null ? 0 : Buffer.byteLength(fields.key, 'utf8');
  let body = FIXED_BODY_BYTES + keyBytes + fields.value.length;
  const headerBytes: Array<readonly [string, number, string, number]> = [];
  for (const [name, value] of Object.entries(fields.headers)) {
    const n = Buffer.byteLength(name, 'utf8');
    const v = Buffer.byteLength(value, 'utf8');
    headerBytes.push([name, n, value, v]);
    body += 8 + n + v;
  }
  return { fields, keyBytes, headerBytes, frameBytes: FRAME_HEADER_BYTES + body };
}

function writeU64(buf: Buffer, pos: number, n: number): void {
  const hi = Math.floor(n / TWO_32);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(n - hi * TWO_32, pos + 4);
}

function readU64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4);
}

/** Writes the frame for `rec` at `pos` in `buf`; returns the position after it. */
export function writeFrame(buf: Buffer, pos: number, rec: PreparedRecord, offset: number): number {
  const start = pos;
  const { fields } = rec;
  let p = pos + FRAME_HEADER_BYTES;
  buf[p++] = MAGIC;
  writeU64(buf, p, offset);
  p += 8;
  writeU64(buf, p, fields.timestamp);
  p += 8;
  if (fields.key === null) {
    buf.writeInt32BE(-1, p);
    p += 4;
  } else {
    buf.writeInt32BE(rec.keyBytes, p);
    p += 4;
    p += buf.write(fields.key, p, rec.keyBytes, 'utf8');
  }
  buf.writeUInt32BE(rec.headerBytes.length, p);
  p += 4;
  for (const [name, n, value, v] of rec.headerBytes) {
    buf.writeUInt32BE(n, p);
    p += 4;
    p += buf.write(name, p, n, 'utf8');
    buf.writeUInt32BE(v, p);
    p += 4;
    p += buf.write(value, p, v, 'utf8');
  }
  buf.writeUInt32BE(fields.value.length, p);
  p += 4;
  p += fields.value.copy(buf, p);
  const bodyLength = p - start - FRAME_HEADER_BYTES;
  buf.writeUInt32BE(bodyLength, start);
  buf.writeUInt32BE(crc32(buf.subarray(start + FRAME_HEADER_BYTES, p)), start + 4);
  return p;
}

export type FrameResult =
  | { kind: 'record'; record: DecodedRecord; frameBytes: number }
  /** The buffer ends inside this frame; `frameBytes` is known once the header is in. */
  | { kind: 'incomplete'; frameBytes: number | null }
  | { kind: 'corrupt'; reason: string };

/** Reads the frame at `pos`, looking no further than `end`. Verifies the checksum. */
export function decodeFrame(buf: Buffer, pos: number, end: number): FrameResult {
  if (end - pos < FRAME_HEADER_BYTES) return { kind: 'incomplete', frameBytes: null };
  const bodyLength = buf.readUInt32BE(pos);
  if (bodyLength < MIN_BODY_BYTES || bodyLength > MAX_BODY_BYTES) {
    return { kind: 'corrupt', reason: `impossible record length ${bodyLength}` };
  }
  const frameBytes = FRAME_HEADER_BYTES + bodyLength;
  if (end - pos < frameBytes) return { kind: 'incomplete', frameBytes };
  const bodyStart = pos + FRAME_HEADER_BYTES;
  const bodyEnd = bodyStart + bodyLength;
  if (crc32(buf.subarray(bodyStart, bodyEnd)) !== buf.readUInt32BE(pos + 4)) {
    return { kind: 'corrupt', reason: 'checksum mismatch' };
  }
  const record = parseBody(buf, bodyStart, bodyEnd);
  if (typeof record === 'string') return { kind: 'corrupt', reason: record };
  return { kind: 'record', record, frameBytes };
}

/**
 * Reads only the length and offset of the frame at `pos`, without the checksum: enough to
 * build an index quickly. Returns null if the frame header is not all in the buffer.
 */
export function peekFrame(
  buf: Buffer,
  pos: number,
  end: number,
): { offset: number; frameBytes: number } | null {
  if (end - pos < FRAME_HEADER_BYTES + 9) return null;
  return {
    frameBytes: FRAME_HEADER_BYTES + buf.readUInt32BE(pos),
    offset: readU64(buf, pos + FRAME_HEADER_BYTES + 1),
  };
}

// Returns a reason string instead of throwing: a checksum-valid but unparsable body is
// garbage to be reported, and exceptions on the hot read path are slow.
function parseBody(buf: Buffer, start: number, end: number): DecodedRecord | string {
  let p = start;
  if (buf[p++] !== MAGIC) return `unknown record format ${buf[start]}`;
  const offset = readU64(buf, p);
  p += 8;
  const timestamp = readU64(buf, p);
  p += 8;
  const keyLength = buf.readInt32BE(p);
  p += 4;
  let key: string | null = null;
  if (keyLength >= 0) {
    if (p + keyLength > end) return 'key runs past the record';
    key = buf.toString('utf8', p, p + keyLength);
    p += keyLength;
  } else if (keyLength !== -1) {
    return `bad key length ${keyLength}`;
  }
  if (p + 4 > end) return 'record too short for its headers';
  const headerCount = buf.readUInt32BE(p);
  p += 4;
  const headers: Record<string, string> = {};
  for (let i = 0; i < headerCount; i++) {
    if (p + 4 > end) return 'header runs past the record';
    const n = buf.readUInt32BE(p);
    p += 4;
    if (p + n + 4 > end) return 'header runs past the record';
    const name = buf.toString('utf8', p, p + n);
    p += n;
    const v = buf.readUInt32BE(p);
    p += 4;
    if (p + v > end) return 'header runs past the record';
    const value = buf.toString('utf8', p, p + v);
    // A plain assignment to "__proto__" would be dropped; a header may legally be called that.
    if (name === '__proto__') {
      Object.defineProperty(headers, name, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      headers[name] = value;
    }
    p += v;
  }
  if (p + 4 > end) return 'record too short for its value';
  const valueLength = buf.readUInt32BE(p);
  p += 4;
  if (p + valueLength !== end) return 'value length does not match the record length';
  return { offset, timestamp, key, headers, value: buf.subarray(p, end) };
}

/**
 * Parses a FrameBatch's frames (from EmbeddedLog.readFrames) into records, checking each
 * checksum and that the offsets run on from `firstOffset` with no gap: bytes that crossed a
 * thread boundary are trusted no more than bytes read from disk.
 */
export function decodeFrames(
  batch: { frames: Uint8Array[]; records: number; firstOffset: number },
  topic: string,
  partition: number,
): StoredRecord[] {
  const out: StoredRecord[] = [];
  let expected = batch.firstOffset;
  for (const bytes of batch.frames) {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pos = 0;
    while (pos < buf.length) {
      const frame = decodeFrame(buf, pos, buf.length);
      if (frame.kind !== 'record') {
        const why = frame.kind === 'corrupt' ? frame.reason : 'record cut short';
        throw new Error(`${topic}/${partition}: bad frame at offset ${expected}: ${why}`);
      }
      const r = frame.record;
      if (r.offset !== expected) {
        throw new Error(`${topic}/${partition}: expected offset ${expected}, found ${r.offset}`);
      }
      out.push({
        topic,
        partition,
        offset: r.offset,
        key: r.key,
        value: r.value,
        headers: r.headers,
        timestamp: r.timestamp,
      });
      expected++;
      pos += frame.frameBytes;
    }
  }
  if (out.length !== batch.records) {
    throw new Error(
      `${topic}/${partition}: expected ${batch.records} records, found ${out.length}`,
    );
  }
  return out;
}
