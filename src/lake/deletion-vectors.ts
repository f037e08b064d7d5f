import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import type { AddFile, DeletionVectorDescriptor } from './actions.js';
import { decodeLogPath } from './data-file-paths.js';
import { CorruptLogError, InvalidArgumentError, LakeError } from './errors.js';
import { joinKey } from './object-store.js';
import { decodeRoaringBitmap, decodeRoaringTreemap, encodeRoaringTreemap } from './roaring.js';
import type { TableLocation } from './snapshot-loader.js';
import { z85Decode, z85Encode } from './z85.js';

/**
 * Deletion vectors (PROTOCOL.md, "Deletion Vectors" and "Deletion Vector Format"): the rows of a
 * data file that a DELETE, UPDATE or MERGE has invalidated without rewriting the file. An `add`
 * whose `deletionVector` is set stands for its data file minus those rows; readers must skip them.
 *
 * A DV is a 64-bit RoaringBitmap of row indexes (0-based positions in the Parquet file) behind a
 * magic number, stored inline in the log ('i', Z85) or in a DV file ('u': a file in the table
 * folder named by a Z85-encoded UUID; 'p': an absolute path). A DV file is a version byte
 * followed by DVs, each framed by its size and a CRC-32, big endian.
 */

/** Little-endian prefix of a serialised DV in the portable format (what writers produce). */
export const DV_MAGIC = 1681511377;
/**
 * Prefix of Delta's older "native" RoaringBitmapArray layout: a count of 32-bit bitmaps, then each
 * bitmap (bitmap i holds the values with high 32 bits i) preceded by its size. delta-spark still
 * reads it, so Freshet does too.
 */
const DV_NATIVE_MAGIC = 1681511376;
const DV_FILE_VERSION = 1;

/** Where the bytes of a DV live. */
export type DeletionVectorSource =
  | { kind: 'inline'; data: Buffer }
  /** A DV file in the table's object store, at a key. */
  | { kind: 'key'; key: string; offset: number }
  /** A DV file outside the store, by absolute URI ('p' DVs). */
  | { kind: 'uri'; uri: string; offset: number };

/** Resolves a descriptor to its bytes' location. Throws InvalidArgumentError when malformed. */
export function deletionVectorSource(
  tablePath: string,
  dv: DeletionVectorDescriptor,
): DeletionVectorSource {
  switch (dv.storageType) {
    case 'i':
      return { kind: 'inline', data: z85Decode(dv.pathOrInlineDv, dv.sizeInBytes) };
    case 'u': {
      const text = dv.pathOrInlineDv;
      if (text.length < 20) {
        throw new InvalidArgumentError(`'${text}' is too short for a Z85-encoded UUID.`);
      }
      const prefix = text.slice(0, text.length - 20);
      const uuid = formatUuid(z85Decode(text.slice(-20)));
      return {
        kind: 'key',
        key: joinKey(tablePath, prefix, `deletion_vector_${uuid}.bin`),
        offset: dv.offset ?? 0,
      };
    }
    case 'p': {
      if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(dv.pathOrInlineDv)) {
        // Not a URI: a path relative to the table, encoded like `add.path`.
        return {
          kind: 'key',
          key: joinKey(tablePath, decodeLogPath(dv.pathOrInlineDv)),
          offset: dv.offset ?? 0,
        };
      }
      return { kind: 'uri', uri: dv.pathOrInlineDv, offset: dv.offset ?? 0 };
    }
    default:
      throw new InvalidArgumentError(
        `Unknown deletion vector storage type '${dv.storageType}' (expected 'u', 'p' or 'i').`,
      );
  }
}

/**
 * The row indexes a DV deletes, ascending. Checks the magic number, the DV file's version, size and
 * CRC-32, and that the count matches the descriptor's cardinality: a DV read wrongly would return
 * deleted rows or hide live ones, so any doubt is a CorruptLogError naming the DV's location.
 */
export async function readDeletionVector(
  table: TableLocation,
  dv: DeletionVectorDescriptor,
  fileCache?: Map<string, Promise<Buffer>>,
): Promise<number[]> {
  let where = `inline deletion vector '${dv.pathOrInlineDv}'`;
  try {
    const source = deletionVectorSource(table.tablePath, dv);
    let bitmap: Buffer;
    if (source.kind === 'inline') {
      bitmap = source.data;
    } else {
      const id = source.kind === 'key' ? source.key : source.uri;
      where = `deletion vector file '${id}' (offset ${source.offset})`;
      let file = fileCache?.get(id);
      if (!file) {
        file = readDvFile(table, source);
        fileCache?.set(id, file);
      }
      bitmap = frame(await file, source.offset, dv.sizeInBytes);
    }
    const rows = decodeDeletionVector(bitmap);
    if (rows.length !== dv.cardinality) {
      throw new InvalidArgumentError(
        `it holds ${rows.length} row indexes, but the log says ${dv.cardinality}`,
      );
    }
    return rows;
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    throw new CorruptLogError(where, err.message, { cause: err });
  }
}

/**
 * The deleted row indexes of every file in `files` that has a DV. Each DV file is read once, even
 * when it holds the DVs of many data files (as Spark writes them).
 */
export async function loadDeletionVectors(
  table: TableLocation,
  files: readonly AddFile[],
): Promise<Map<AddFile, number[]>> {
  const out = new Map<AddFile, number[]>();
  const cache = new Map<string, Promise<Buffer>>();
  const withDv = files.filter((f) => f.deletionVector);
  // A few at a time: a big table may have thousands of DVs in a handful of files.
  for (let i = 0; i < withDv.length; i += 16) {
    const batch = withDv.slice(i, i + 16);
    const rows = await Promise.all(
      batch.map((f) => readDeletionVector(table, f.deletionVector!, cache)),
    );
    batch.forEach((f, j) => out.set(f, rows[j]!));
  }
  return out;
}

/**
 * Decodes one serialised DV: magic number + 64-bit portable RoaringBitmap (or the native layout).
 * Like delta-spark, it reads little endian only; the inline example in PROTOCOL.md, whose framing
 * is big endian, is refused by both.
 */
export function decodeDeletionVector(bitmap: Uint8Array): number[] {
  if (bitmap.length < 4) throw new InvalidArgumentError('the deletion vector is empty');
  const buf = Buffer.from(bitmap.buffer, bitmap.byteOffset, bitmap.byteLength);
  const magic = buf.readUInt32LE(0);
  if (magic === DV_MAGIC) return decodeRoaringTreemap(bitmap.subarray(4));
  if (magic === DV_NATIVE_MAGIC) return decodeNative(buf);
  throw new InvalidArgumentError(
    `it starts with ${magic}, not the deletion vector magic number ${DV_MAGIC}`,
  );
}

function decodeNative(buf: Buffer): number[] {
  const out: number[] = [];
  const truncated = () => new InvalidArgumentError('the native deletion vector is truncated');
  if (buf.length < 8) throw truncated();
  const count = buf.readUInt32LE(4);
  let offset = 8;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > buf.length) throw truncated();
    const size = buf.readUInt32LE(offset);
    offset += 4;
    if (offset + size > buf.length) throw truncated();
    const used = decodeRoaringBitmap(buf.subarray(offset, offset + size), i * 2 ** 32, out);
    if (used !== size) throw new InvalidArgumentError(`bitmap ${i} has ${size - used} stray bytes`);
    offset += size;
  }
  if (offset !== buf.length) throw new InvalidArgumentError('trailing bytes after the bitmaps');
  return out;
}

/** Serialises row indexes (ascending, distinct) as one DV: magic number + RoaringBitmap. */
export function encodeDeletionVector(rows: readonly number[]): Buffer {
  const magic = Buffer.alloc(4);
  magic.writeUInt32LE(DV_MAGIC);
  return Buffer.concat([magic, encodeRoaringTreemap(rows)]);
}

/**
 * A DV file holding `dvs` (each from encodeDeletionVector), and for each the descriptor fields
 * that point into it. Pair with `uuidDescriptorPath` to name it as a 'u' DV.
 */
export function encodeDeletionVectorFile(dvs: readonly Buffer[]): {
  data: Buffer;
  entries: { offset: number; sizeInBytes: number }[];
} {
  const parts: Buffer[] = [Buffer.from([DV_FILE_VERSION])];
  const entries: { offset: number; sizeInBytes: number }[] = [];
  let offset = 1;
  for (const dv of dvs) {
    const size = Buffer.alloc(4);
    size.writeUInt32BE(dv.length);
    const checksum = Buffer.alloc(4);
    checksum.writeUInt32BE(crc32(dv));
    parts.push(size, dv, checksum);
    entries.push({ offset, sizeInBytes: dv.length });
    offset += 8 + dv.length;
  }
  return { data: Buffer.concat(parts), entries };
}

/** `pathOrInlineDv` of a 'u' DV for the file `deletion_vector_<uuid>.bin` (no random prefix). */
export function uuidDescriptorPath(uuid: string): string {
  const hex = uuid.replaceAll('-', '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new InvalidArgumentError(`'${uuid}' is not a UUID.`);
  return z85Encode(Buffer.from(hex, 'hex'));
}

/** `pathOrInlineDv` of an inline ('i') DV. */
export function inlineDescriptorData(dv: Buffer): string {
  return z85Encode(dv);
}

async function readDvFile(
  table: TableLocation,
  source: Extract<DeletionVectorSource, { offset: number }>,
): Promise<Buffer> {
  let data: Buffer | null;
  if (source.kind === 'key') {
    data = await table.store.get(source.key);
  } else if (source.uri.startsWith('file:')) {
    data = await fs.readFile(fileURLToPath(source.uri)).catch(() => null);
  } else {
    data = await readStoreUri(table, source.uri);
  }
  if (data === null) throw new InvalidArgumentError('the file is missing');
  if (data[0] !== DV_FILE_VERSION) {
    throw new InvalidArgumentError(`unknown DV file format version ${data[0]}`);
  }
  return data;
}

/** An absolute URI that points into the table's own store (`store.url`) is read through it. */
async function readStoreUri(table: TableLocation, uri: string): Promise<Buffer | null> {
  const root = table.store.url?.('');
  if (root === undefined || !uri.startsWith(root)) {
    throw new LakeError(
      `The deletion vector '${uri}' lies outside ${table.store.description}, which Freshet cannot ` +
        `read. Rewrite the table's files with an engine that can (for example OPTIMIZE in Spark).`,
    );
  }
  return table.store.get(decodeLogPath(uri.slice(root.length)));
}

/** The bitmap bytes of the DV at `offset` of a DV file, after checking its size and CRC-32. */
function frame(file: Buffer, offset: number, sizeInBytes: number): Buffer {
  if (offset + 4 > file.length) {
    throw new InvalidArgumentError(
      `offset ${offset} is past the end of the ${file.length}-byte file`,
    );
  }
  const size = file.readUInt32BE(offset);
  if (size !== sizeInBytes) {
    throw new InvalidArgumentError(`the DV has ${size} bytes, but the log says ${sizeInBytes}`);
  }
  const end = offset + 4 + size;
  if (end + 4 > file.length) throw new InvalidArgumentError('the DV is truncated');
  const bitmap = file.subarray(offset + 4, end);
  const expected = file.readUInt32BE(end);
  const actual = crc32(bitmap);
  if (actual !== expected) {
    throw new InvalidArgumentError(
      `its checksum is ${actual.toString(16)}, the file says ${expected.toString(16)}`,
    );
  }
  return bitmap;
}

function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
