import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedLog } from './embedded-log.js';
import { OffsetOutOfRangeError } from './errors.js';
import { decodeFrames } from './record-codec.js';

let dir: string;
let log: EmbeddedLog;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-frames-'));
  // Small segments, so reads cross many segment files.
  log = await EmbeddedLog.open(dir, { segmentBytes: 4096 });
  await log.createTopic('t', { partitions: 1 });
  const records = Array.from({ length: 500 }, (_, i) => ({
    key: i % 7 === 0 ? null : `k${i}`,
    value: Buffer.from(`v${i}`.padEnd(20 + ((i * 31) % 200), '.')),
    headers: { seq: String(i), 'freshet.event-id': `e${i}` },
    timestamp: 1_700_000_000_000 + i,
  }));
  // In several appends, so some segments hold parts of different batches.
  for (let i = 0; i < records.length; i += 60) await log.append('t', records.slice(i, i + 60));
});

afterEach(async () => {
  await log.close();
  await rm(dir, { recursive: true, force: true });
});

describe('EmbeddedLog.readFrames + decodeFrames', () => {
  it('gives exactly what read gives, from any offset and with any limits', async () => {
    for (const [from, maxRecords, maxBytes] of [
      [0, 1000, 1 << 30],
      [0, 17, 1 << 30],
      [123, 50, 1 << 30],
      [499, 10, 1 << 30],
      [250, 1000, 3000],
      [37, 1000, 1],
    ] as const) {
      const expected = await log.read('t', 0, from, { maxRecords, maxBytes: 1 << 30 });
      const batch = await log.readFrames('t', 0, from, { maxRecords, maxBytes });
      const decoded = decodeFrames(batch, 't', 0);
      expect(batch.firstOffset).toBe(from);
      expect(decoded.length).toBe(batch.records);
      expect(decoded.length).toBeGreaterThan(0);
      // A byte budget may stop earlier than read's, never later, and never at zero records.
      expect(decoded).toEqual(expected.slice(0, decoded.length));
      if (maxBytes > 1 << 20) expect(decoded.length).toBe(expected.length);
    }
  });

  it('returns nothing at the end and refuses offsets outside the log', async () => {
    const atEnd = await log.readFrames('t', 0, 500);
    expect(atEnd.records).toBe(0);
    expect(atEnd.frames).toEqual([]);
    await expect(log.readFrames('t', 0, 501)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
  });

  it('decodeFrames rejects damaged bytes and a gap in offsets', async () => {
    const batch = await log.readFrames('t', 0, 10, { maxRecords: 5 });
    const copy = Buffer.concat(batch.frames);
    copy[copy.length - 3] = copy[copy.length - 3]! ^ 0xff;
    expect(() => decodeFrames({ ...batch, frames: [copy] }, 't', 0)).toThrow(/checksum/);
    expect(() => decodeFrames({ ...batch, firstOffset: 11 }, 't', 0)).toThrow(
      /expected offset 11, found 10/,
    );
    expect(() => decodeFrames({ ...batch, records: 6 }, 't', 0)).toThrow(/expected 6 records/);
  });
});
