// Torn writes: a crash can leave any prefix of the last write on disk, or pages of garbage or
// zeros after it. Opening the log must keep every complete record and cut the rest.

import {
  appendFile,
  cp,
  mkdtemp,
  readdir,
  readFile,
  rm,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedLog } from './embedded-log.js';
import { decodeFrame, prepareRecord, writeFrame } from './record-codec.js';

let root: string;
let pristine: string;
let lastSegment: string;
/** Byte position where each record of the last segment ends. */
let frameEnds: number[];
/** Records in the segments before the last one. */
let sealedRecords: number;
const TOTAL = 300;

function value(i: number): Buffer {
  return Buffer.from(`record-${i}-`.padEnd(20 + ((i * 53) % 200), '#'));
}

// Deterministic random numbers, so a failure can be replayed.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'freshet-recovery-'));
  pristine = join(root, 'pristine');
  const log = await EmbeddedLog.open(pristine, { segmentBytes: 8 * 1024 });
  await log.createTopic('t');
  for (let i = 0; i < TOTAL; i += 3) {
    await log.append(
      't',
      [i, i + 1, i + 2].map((n) => ({ key: `k${n}`, value: value(n) })),
    );
  }
  await log.close();
  const files = (await readdir(join(pristine, 't', '0'))).sort();
  expect(files.length).toBeGreaterThan(2);
  lastSegment = join('t', '0', files[files.length - 1]!);
  const data = await readFile(join(pristine, lastSegment));
  frameEnds = [];
  for (let pos = 0; pos < data.length;) {
    const frame = decodeFrame(data, pos, data.length);
    if (frame.kind !== 'record') throw new Error('pristine segment is not clean');
    pos += frame.frameBytes;
    frameEnds.push(pos);
  }
  sealedRecords = TOTAL - frameEnds.length;
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function damaged(name: string, damage: (segment: string) => Promise<void>): Promise<string> {
  const dir = join(root, name);
  await cp(pristine, dir, { recursive: true });
  await damage(join(dir, lastSegment));
  return dir;
}

/** Opens the damaged log, checks it, appends one record, and checks again after a reopen. */
async function expectRecovered(dir: string, completeRecords: number): Promise<void> {
  let log = await EmbeddedLog.open(dir);
  try {
    expect(await log.endOffset('t', 0)).toBe(completeRecords);
    const records = [];
    for (let next = 0; next < completeRecords;) {
      const batch = await log.read('t', 0, next, { maxRecords: 1000 });
      records.push(...batch);
      next = batch[batch.length - 1]!.offset + 1;
    }
    expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => i));
    records.forEach((r, i) => expect(r.value).toEqual(value(i)));
    const [appended] = await log.append('t', [{ key: 'after', value: Buffer.from('after-crash') }]);
    expect(appended!.offset).toBe(completeRecords);
  } finally {
    await log.close();
  }
  log = await EmbeddedLog.open(dir);
  try {
    expect(log.recovered).toEqual([]);
    const [last] = await log.read('t', 0, completeRecords);
    expect(last?.value.toString()).toBe('after-crash');
    expect(await log.endOffset('t', 0)).toBe(completeRecords + 1);
  } finally {
    await log.close();
  }
}

function completeBefore(cut: number): number {
  return sealedRecords + frameEnds.filter((end) => end <= cut).length;
}

describe('recovery of a torn tail', () => {
  it('keeps every complete record when the last file is cut at random positions', async () => {
    const random = rng(42);
    const size = frameEnds[frameEnds.length - 1]!;
    const cuts = [0, 1, 7, 8, 9, frameEnds[0]!, frameEnds[0]! + 1, size - 1];
    for (let i = 0; i < 25; i++) cuts.push(Math.floor(random() * size));
    for (const cut of cuts) {
      const dir = await damaged(`cut-${cut}`, (seg) => truncate(seg, cut));
      await expectRecovered(dir, completeBefore(cut));
    }
  });

  it('cuts random garbage, zeroed pages and a half-written frame after the last record', async () => {
    const random = rng(7);
    const garbage = Buffer.from(Array.from({ length: 3000 }, () => Math.floor(random() * 256)));
    const prepared = prepareRecord({
      key: 'x',
      value: Buffer.alloc(500, 1),
      headers: {},
      timestamp: 1,
    });
    const frame = Buffer.alloc(prepared.frameBytes);
    writeFrame(frame, 0, prepared, TOTAL);
    const tails: Record<string, Buffer> = {
      garbage,
      zeros: Buffer.alloc(4096),
      'half a frame': frame.subarray(0, frame.length / 2),
      'frame minus one byte': frame.subarray(0, frame.length - 1),
      'frame with a wrong offset': (() => {
        const wrong = Buffer.alloc(prepared.frameBytes);
        writeFrame(wrong, 0, prepared, TOTAL + 5);
        return wrong;
      })(),
    };
    for (const [name, tail] of Object.entries(tails)) {
      const dir = await damaged(name.replaceAll(' ', '-'), (seg) => appendFile(seg, tail));
      await expectRecovered(dir, TOTAL);
    }
  });

  it('cuts a corrupt record in the middle of the last file and everything after it', async () => {
    const corruptAt = frameEnds[3]! + 20;
    const dir = await damaged('flipped', async (seg) => {
      const data = await readFile(seg);
      data[corruptAt] = data[corruptAt]! ^ 0xff;
      await writeFile(seg, data);
    });
    const log = await EmbeddedLog.open(dir);
    expect(log.recovered).toMatchObject([
      { topic: 't', partition: 0, reason: 'checksum mismatch' },
    ]);
    await log.close();
    await expectRecovered(dir, sealedRecords + 4);
  });
});
