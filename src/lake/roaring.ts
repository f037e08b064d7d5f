import { InvalidArgumentError } from './errors.js';

/**
 * RoaringBitmap serialisation (github.com/RoaringBitmap/RoaringFormatSpec), as far as Delta's
 * deletion vectors need it: the 64-bit "portable" format (a count of buckets, then per bucket the
 * high 32 bits and a standard 32-bit RoaringBitmap of the low 32 bits), decoded to sorted row
 * indexes, and an encoder that writes the same format.
 *
 * Hand-written on purpose: the npm package `roaring` is a native addon whose install step
 * downloads a prebuilt binary from GitHub (or falls back to compiling CRoaring with node-gyp),
 * neither of which a locked-down build machine can do, and Freshet only needs to read the
 * format, not to compute on bitmaps.
 */

/** Cookie of a 32-bit bitmap that may hold run containers; its high 16 bits are size - 1. */
const SERIAL_COOKIE = 12347;
/** Cookie of a 32-bit bitmap without run containers; the container count follows. */
const SERIAL_COOKIE_NO_RUNCONTAINER = 12346;
/** Bitmaps with run containers and fewer containers than this carry no offset header. */
const NO_OFFSET_THRESHOLD = 4;
/** Containers with more values than this are bitmaps of 2^16 bits. */
const ARRAY_MAX = 4096;
const TWO_32 = 2 ** 32;
/** Highest bucket key whose values are still exact JavaScript numbers. */
const MAX_SAFE_KEY = Math.floor(Number.MAX_SAFE_INTEGER / TWO_32);

/** Decodes a 64-bit portable RoaringBitmap into its values, ascending. */
export function decodeRoaringTreemap(bytes: Uint8Array): number[] {
  const reader = new Reader(bytes);
  const buckets = reader.u64();
  const values: number[] = [];
  let previousKey = -1;
  for (let b = 0; b < buckets; b++) {
    const key = reader.u32();
    if (key <= previousKey)
      throw new InvalidArgumentError('Roaring bucket keys are not ascending.');
    if (key > MAX_SAFE_KEY) {
      throw new InvalidArgumentError(`Roaring bucket key ${key} exceeds 2^53 row indexes.`);
    }
    previousKey = key;
    decodeRoaring32(reader, key * TWO_32, values);
  }
  if (!reader.atEnd()) {
    throw new InvalidArgumentError(
      `${reader.remaining()} trailing bytes after the Roaring bitmap.`,
    );
  }
  return values;
}

/**
 * Decodes one standard 32-bit RoaringBitmap from the start of `bytes`, pushing each value plus
 * `base` to `out`; returns the number of bytes it took.
 */
export function decodeRoaringBitmap(bytes: Uint8Array, base: number, out: number[]): number {
  const reader = new Reader(bytes);
  decodeRoaring32(reader, base, out);
  return reader.offset;
}

/** Decodes one 32-bit RoaringBitmap at the reader's position, adding `base` to each value. */
function decodeRoaring32(reader: Reader, base: number, out: number[]): void {
  const start = reader.offset;
  const cookie = reader.u32();
  let size: number;
  let runFlags: Uint8Array | undefined;
  if ((cookie & 0xffff) === SERIAL_COOKIE) {
    size = (cookie >>> 16) + 1;
    runFlags = reader.bytes(Math.ceil(size / 8));
  } else if (cookie === SERIAL_COOKIE_NO_RUNCONTAINER) {
    size = reader.u32();
  } else {
    throw new InvalidArgumentError(`Unknown Roaring cookie ${cookie}.`);
  }
  const keys: number[] = [];
  const cardinalities: number[] = [];
  for (let i = 0; i < size; i++) {
    keys.push(reader.u16());
    cardinalities.push(reader.u16() + 1);
  }
  // The offset header only helps random access; containers are read in order.
  if (!runFlags || size >= NO_OFFSET_THRESHOLD) reader.skip(4 * size);
  for (let i = 0; i < size; i++) {
    const high = base + keys[i]! * 0x10000;
    if (i > 0 && keys[i]! <= keys[i - 1]!) {
      throw new InvalidArgumentError(`Roaring container keys are not ascending at byte ${start}.`);
    }
    const isRun = runFlags !== undefined && (runFlags[i >>> 3]! & (1 << (i & 7))) !== 0;
    if (isRun) {
      const runs = reader.u16();
      for (let r = 0; r < runs; r++) {
        const first = reader.u16();
        const last = first + reader.u16();
        for (let v = first; v <= last; v++) out.push(high + v);
      }
    } else if (cardinalities[i]! <= ARRAY_MAX) {
      for (let n = 0; n < cardinalities[i]!; n++) out.push(high + reader.u16());
    } else {
      const bitmap = reader.bytes(8192);
      for (let byte = 0; byte < 8192; byte++) {
        let bits = bitmap[byte]!;
        while (bits !== 0) {
          const bit = 31 - Math.clz32(bits & -bits);
          out.push(high + byte * 8 + bit);
          bits &= bits - 1;
        }
      }
    }
  }
}

/**
 * Encodes ascending, distinct non-negative integers as a 64-bit portable RoaringBitmap, with array
 * and bitmap containers (no run containers: readers must accept either).
 */
export function encodeRoaringTreemap(values: readonly number[]): Buffer {
  const buckets = new Map<number, number[]>();
  let previous = -1;
  for (const v of values) {
    if (!Number.isSafeInteger(v) || v <= previous) {
      throw new InvalidArgumentError(
        'Roaring values must be ascending, distinct safe integers >= 0.',
      );
    }
    previous = v;
    const key = Math.floor(v / TWO_32);
    let bucket = buckets.get(key);
    if (!bucket) buckets.set(key, (bucket = []));
    bucket.push(v - key * TWO_32);
  }
  const parts: Buffer[] = [];
  const header = Buffer.alloc(8);
  header.writeBigUInt64LE(BigInt(buckets.size));
  parts.push(header);
  for (const [key, low] of buckets) {
    const keyBytes = Buffer.alloc(4);
    keyBytes.writeUInt32LE(key);
    parts.push(keyBytes, encodeRoaring32(low));
  }
  return Buffer.concat(parts);
}

function encodeRoaring32(values: number[]): Buffer {
  const containers: { key: number; values: number[] }[] = [];
  for (const v of values) {
    const key = v >>> 16;
    const last = containers[containers.length - 1];
    if (last && last.key === key) last.values.push(v & 0xffff);
    else containers.push({ key, values: [v & 0xffff] });
  }
  const bodies = containers.map(({ values: low }) => {
    if (low.length <= ARRAY_MAX) {
      const body = Buffer.alloc(2 * low.length);
      low.forEach((v, i) => body.writeUInt16LE(v, 2 * i));
      return body;
    }
    const body = Buffer.alloc(8192);
    for (const v of low) body[v >>> 3]! |= 1 << (v & 7);
    return body;
  });
  const headerSize = 8 + 8 * containers.length;
  const header = Buffer.alloc(headerSize);
  header.writeUInt32LE(SERIAL_COOKIE_NO_RUNCONTAINER, 0);
  header.writeUInt32LE(containers.length, 4);
  let offset = headerSize;
  containers.forEach((c, i) => {
    header.writeUInt16LE(c.key, 8 + 4 * i);
    header.writeUInt16LE(c.values.length - 1, 10 + 4 * i);
    header.writeUInt32LE(offset, 8 + 4 * containers.length + 4 * i);
    offset += bodies[i]!.length;
  });
  return Buffer.concat([header, ...bodies]);
}

/** Little-endian reads with bounds checks that name the format. */
class Reader {
  offset = 0;
  private readonly view: DataView;

  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  private need(n: number): void {
    if (this.offset + n > this.data.length) {
      throw new InvalidArgumentError(
        `The Roaring bitmap is truncated: needs ${n} bytes at offset ${this.offset} of ${this.data.length}.`,
      );
    }
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }

  u64(): number {
    this.need(8);
    const v = this.view.getBigUint64(this.offset, true);
    this.offset += 8;
    if (v > BigInt(TWO_32)) throw new InvalidArgumentError(`Roaring bucket count ${v} is absurd.`);
    return Number(v);
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.data.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  skip(n: number): void {
    this.need(n);
    this.offset += n;
  }

  atEnd(): boolean {
    return this.offset === this.data.length;
  }

  remaining(): number {
    return this.data.length - this.offset;
  }
}
