import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DeletionVectorDescriptor } from './actions.js';
import {
  decodeDeletionVector,
  deletionVectorSource,
  encodeDeletionVector,
  encodeDeletionVectorFile,
  inlineDescriptorData,
  readDeletionVector,
  uuidDescriptorPath,
} from './deletion-vectors.js';
import { CorruptLogError, InvalidArgumentError } from './errors.js';
import { LocalObjectStore } from './local-object-store.js';
import { MemoryObjectStore } from './memory-object-store.js';
import { decodeRoaringTreemap, encodeRoaringTreemap } from './roaring.js';
import { z85Decode, z85Encode } from './z85.js';

const FIXTURES = fileURLToPath(new URL('../../../shared/testdata/delta-rs/', import.meta.url));

describe('Z85', () => {
  it('decodes the UUIDs of DV files as Spark names them', () => {
    // table-with-dv-small: its one DV file is deletion_vector_61d16c75-....bin
    expect(z85Decode('vBn[lx{q8@P<9BNH/isA').toString('hex')).toBe(
      '61d16c75699446b7a15b8b538852e50e',
    );
    expect(uuidDescriptorPath('61d16c75-6994-46b7-a15b-8b538852e50e')).toBe('vBn[lx{q8@P<9BNH/isA');
  });

  it('round-trips any length, cutting Delta zero padding with the recorded length', () => {
    const data = Buffer.from([1, 2, 3, 4, 5, 250, 0]);
    const text = z85Encode(data);
    expect(text).toHaveLength(10);
    expect(z85Decode(text, data.length)).toEqual(data);
    expect(() => z85Decode(text, 2)).toThrow(InvalidArgumentError);
  });

  it('rejects text that is not Z85', () => {
    expect(() => z85Decode('abcd')).toThrow(/multiple of 5/);
    expect(() => z85Decode('ab~de')).toThrow(/not a Z85 character/);
  });
});

describe('Roaring 64-bit portable format', () => {
  it('decodes run, array and multi-bucket bitmaps written by CRoaring (pyroaring)', () => {
    // BitMap64([5, *range(100, 200), 3 * 65536 + 1, 2**32 + 7]) after run_optimize(): bucket 0
    // has a run container and an array container, bucket 1 one array container.
    const bytes = Buffer.from(
      '0200000000000000000000003b300100010000640003000000020005000000640063000100010000003a3000000100000000000000100000000700',
      'hex',
    );
    const expected = [5, ...Array.from({ length: 100 }, (_, i) => 100 + i), 196609, 2 ** 32 + 7];
    expect(decodeRoaringTreemap(bytes)).toEqual(expected);
  });

  it('round-trips array and bitmap containers through the encoder', () => {
    const values = [
      ...Array.from({ length: 5000 }, (_, i) => 70_000 + 2 * i), // > 4096: a bitmap container
      1_000_000,
      2 ** 33 + 1,
    ];
    expect(decodeRoaringTreemap(encodeRoaringTreemap(values))).toEqual(values);
    expect(decodeRoaringTreemap(encodeRoaringTreemap([]))).toEqual([]);
  });

  it('refuses truncated or foreign bytes', () => {
    const bytes = encodeRoaringTreemap([1, 2, 3]);
    expect(() => decodeRoaringTreemap(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    const foreign = Buffer.from(bytes);
    foreign.writeUInt32LE(999, 12);
    expect(() => decodeRoaringTreemap(foreign)).toThrow(/cookie/);
    expect(() => encodeRoaringTreemap([3, 2])).toThrow(/ascending/);
  });
});

describe('deletion vectors', () => {
  const table = { store: new LocalObjectStore(FIXTURES), tablePath: 'table-with-dv-small' };
  const fixtureDv: DeletionVectorDescriptor = {
    storageType: 'u',
    pathOrInlineDv: 'vBn[lx{q8@P<9BNH/isA',
    offset: 1,
    sizeInBytes: 36,
    cardinality: 2,
  };

  it('reads the DV file Databricks wrote for table-with-dv-small: rows 0 and 9', async () => {
    expect(deletionVectorSource('t', fixtureDv)).toEqual({
      kind: 'key',
      key: 't/deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin',
      offset: 1,
    });
    expect(await readDeletionVector(table, fixtureDv)).toEqual([0, 9]);
  });

  it('reads inline DVs; refuses the big-endian inline example of PROTOCOL.md, as delta-spark does', async () => {
    const rows = [3, 4, 7, 11, 18, 29];
    const encoded = encodeDeletionVector(rows);
    const inline = (text: string, sizeInBytes: number): DeletionVectorDescriptor => ({
      storageType: 'i',
      pathOrInlineDv: text,
      sizeInBytes,
      cardinality: 6,
    });
    expect(
      await readDeletionVector(table, inline(inlineDescriptorData(encoded), encoded.length)),
    ).toEqual(rows);
    // The example's bytes are the native layout with big-endian framing.
    const example = 'wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L';
    await expect(readDeletionVector(table, inline(example, 40))).rejects.toThrow(
      /not the deletion vector magic number/,
    );
    // The same bitmap in the native layout with little-endian framing, as delta-spark reads it.
    const bytes = z85Decode(example, 40);
    const native = Buffer.concat([Buffer.alloc(12), bytes.subarray(12)]);
    native.writeUInt32LE(1681511376, 0);
    native.writeUInt32LE(1, 4);
    native.writeUInt32LE(bytes.readUInt32BE(8), 8);
    expect(decodeDeletionVector(native)).toEqual(rows);
  });

  it('finds a DV under its random prefix folder, and several DVs in one file', async () => {
    const store = new MemoryObjectStore();
    const uuid = '0c6cbaaf-5e04-4c9d-8959-1088814f58ef';
    const { data, entries } = encodeDeletionVectorFile([
      encodeDeletionVector([1]),
      encodeDeletionVector([0, 5, 6]),
    ]);
    await store.put(`t/ab/deletion_vector_${uuid}.bin`, data);
    const dv = (i: number, cardinality: number): DeletionVectorDescriptor => ({
      storageType: 'u',
      pathOrInlineDv: `ab${uuidDescriptorPath(uuid)}`,
      offset: entries[i]!.offset,
      sizeInBytes: entries[i]!.sizeInBytes,
      cardinality,
    });
    const loc = { store, tablePath: 't' };
    expect(await readDeletionVector(loc, dv(0, 1))).toEqual([1]);
    expect(await readDeletionVector(loc, dv(1, 3))).toEqual([0, 5, 6]);
  });

  it("reads a 'p' DV by absolute file: URI", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'freshet-dv-'));
    try {
      const { data, entries } = encodeDeletionVectorFile([encodeDeletionVector([7, 8])]);
      const file = path.join(dir, 'dv.bin');
      await fs.writeFile(file, data);
      const dv: DeletionVectorDescriptor = {
        storageType: 'p',
        pathOrInlineDv: pathToFileURL(file).href,
        offset: entries[0]!.offset,
        sizeInBytes: entries[0]!.sizeInBytes,
        cardinality: 2,
      };
      expect(
        await readDeletionVector({ store: new MemoryObjectStore(), tablePath: 't' }, dv),
      ).toEqual([7, 8]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a damaged DV rather than returning deleted rows', async () => {
    const store = new MemoryObjectStore();
    const bytes = await fs.readFile(
      `${FIXTURES}table-with-dv-small/deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin`,
    );
    const key = 't/deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin';
    const loc = { store, tablePath: 't' };

    const flipped = Buffer.from(bytes);
    flipped[30]! ^= 1;
    await store.put(key, flipped);
    await expect(readDeletionVector(loc, fixtureDv)).rejects.toThrow(/checksum/);

    await store.put(key, bytes);
    await expect(readDeletionVector(loc, { ...fixtureDv, cardinality: 3 })).rejects.toThrow(
      /holds 2 row indexes, but the log says 3/,
    );
    await expect(readDeletionVector(loc, { ...fixtureDv, sizeInBytes: 40 })).rejects.toThrow(
      CorruptLogError,
    );
    await store.delete(key);
    await expect(readDeletionVector(loc, fixtureDv)).rejects.toThrow(/missing/);
    await expect(readDeletionVector(loc, { ...fixtureDv, storageType: 'x' })).rejects.toThrow(
      /Unknown deletion vector storage type 'x'/,
    );
  });
});
