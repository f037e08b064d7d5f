import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EmbeddedLogOptions } from './embedded-log-options.js';
import { EmbeddedLog } from './embedded-log.js';
import {
  InvalidRecordError,
  InvalidTopicError,
  LogClosedError,
  LogLockedError,
  OffsetOutOfRangeError,
  RecordTooLargeError,
  UnknownPartitionError,
  UnknownTopicError,
} from './errors.js';
import { kafkaPartition } from './kafka-partitioner.js';
import type { LogRecord, StoredRecord } from './log.js';

let dir: string;
const open: EmbeddedLog[] = [];

async function openLog(opts?: EmbeddedLogOptions): Promise<EmbeddedLog> {
  const log = await EmbeddedLog.open(dir, opts);
  open.push(log);
  return log;
}

async function readAll(log: EmbeddedLog, topic: string, partition: number, page = 1000) {
  const out: StoredRecord[] = [];
  let next = await log.startOffset(topic, partition);
  for (;;) {
    const batch = await log.read(topic, partition, next, { maxRecords: page });
    if (batch.length === 0) return out;
    out.push(...batch);
    next = batch[batch.length - 1]!.offset + 1;
  }
}

function record(i: number, key: string | null = `k${i}`): LogRecord {
  return {
    key,
    value: Buffer.from(`value-${i}-`.padEnd(10 + ((i * 37) % 300), 'x')),
    headers: { seq: String(i) },
    timestamp: 1_700_000_000_000 + i,
  };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-log-'));
});

afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((l) => l.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('EmbeddedLog', () => {
  it('reads back what was appended, across segment rolls, from any offset', async () => {
    const log = await openLog({ segmentBytes: 2048 });
    await log.createTopic('t');
    const input = Array.from({ length: 600 }, (_, i) => record(i));
    const results = [];
    for (let i = 0; i < input.length; i += 7)
      results.push(...(await log.append('t', input.slice(i, i + 7))));
    expect(results.map((r) => r.offset)).toEqual(input.map((_, i) => i));
    expect((await readdir(join(dir, 't', '0'))).length).toBeGreaterThan(20);

    const stored = await readAll(log, 't', 0, 37);
    expect(stored).toHaveLength(600);
    stored.forEach((r, i) => {
      expect(r).toEqual({
        topic: 't',
        partition: 0,
        offset: i,
        ...input[i],
        headers: { seq: String(i) },
      });
    });
    for (const from of [0, 1, 99, 250, 251, 598, 599]) {
      const [first] = await log.read('t', 0, from, { maxRecords: 1 });
      expect(first?.offset).toBe(from);
      expect(first?.value).toEqual(input[from]!.value);
    }
    expect(await log.read('t', 0, 600)).toEqual([]);
    expect(await log.endOffset('t', 0)).toBe(600);
    expect(await log.startOffset('t', 0)).toBe(0);
  });

  it('puts keyed records on kafkaPartition(key, n) and spreads null keys round-robin', async () => {
    const log = await openLog();
    await log.createTopic('orders', { partitions: 6 });
    const keys = Array.from({ length: 50 }, (_, i) => `S${String(i).padStart(4, '0')}`);
    const first = await log.append(
      'orders',
      keys.map((k, i) => record(i, k)),
    );
    const second = await log.append(
      'orders',
      keys.map((k, i) => record(i, k)),
    );
    first.forEach((r, i) => {
      expect(r.partition).toBe(kafkaPartition(keys[i]!, 6));
      expect(second[i]!.partition).toBe(r.partition);
    });
    const nulls = await log.append(
      'orders',
      Array.from({ length: 8 }, (_, i) => record(i, null)),
    );
    expect(nulls.map((r) => r.partition)).toEqual([0, 1, 2, 3, 4, 5, 0, 1]);
    // Results come back in input order, and each points at its own record.
    for (const [i, r] of first.entries()) {
      const [got] = await log.read('orders', r.partition, r.offset, { maxRecords: 1 });
      expect(got?.key).toBe(keys[i]);
    }
  });

  it('keeps topics and records across close and reopen, and continues the offsets', async () => {
    let log = await openLog({ segmentBytes: 4096 });
    await log.createTopic('a', { partitions: 2 });
    await log.createTopic('b');
    await log.append(
      'a',
      Array.from({ length: 100 }, (_, i) => record(i)),
    );
    const ends = [await log.endOffset('a', 0), await log.endOffset('a', 1)];
    await log.close();
    await expect(log.append('a', [record(0)])).rejects.toBeInstanceOf(LogClosedError);

    log = await openLog({ segmentBytes: 4096 });
    expect(await log.topics()).toEqual([
      { name: 'a', partitions: 2 },
      { name: 'b', partitions: 1 },
    ]);
    expect(log.recovered).toEqual([]);
    await log.createTopic('a', { partitions: 5 });
    expect((await log.topics())[0]).toEqual({ name: 'a', partitions: 2 });
    expect([await log.endOffset('a', 0), await log.endOffset('a', 1)]).toEqual(ends);
    const [r] = await log.append('a', [record(1000, null)]);
    expect(r!.offset).toBe(ends[r!.partition]);
    const all = [...(await readAll(log, 'a', 0)), ...(await readAll(log, 'a', 1))];
    expect(all).toHaveLength(101);
  });

  it('gives concurrent appends contiguous offsets with no gaps or duplicates', async () => {
    const log = await openLog({ segmentBytes: 16 * 1024 });
    await log.createTopic('t', { partitions: 3 });
    const calls = Array.from({ length: 300 }, (_, c) =>
      log.append(
        't',
        Array.from({ length: 1 + (c % 5) }, (_, j) => record(c * 10 + j, `k${c % 17}`)),
      ),
    );
    const results = await Promise.all(calls);
    const byPartition = new Map<number, number[]>();
    results
      .flat()
      .forEach((r) =>
        byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r.offset]),
      );
    let total = 0;
    for (const [p, offsets] of byPartition) {
      offsets.sort((a, b) => a - b);
      expect(offsets).toEqual(offsets.map((_, i) => i));
      expect(await log.endOffset('t', p)).toBe(offsets.length);
      total += offsets.length;
    }
    expect(total).toBe(results.flat().length);
    // Every result points at the record that was sent in that position.
    for (const [c, res] of results.entries()) {
      for (const [j, r] of res.entries()) {
        const [got] = await log.read('t', r.partition, r.offset, { maxRecords: 1 });
        expect(got?.headers.seq).toBe(String(c * 10 + j));
      }
    }
  });

  it('refuses an oversized record, naming topic and size, and writes none of the call', async () => {
    const log = await openLog({ maxRecordBytes: 1000 });
    await log.createTopic('big');
    const call = log.append('big', [record(1), { key: null, value: Buffer.alloc(5000) }]);
    await expect(call).rejects.toBeInstanceOf(RecordTooLargeError);
    await expect(call).rejects.toThrow(/topic "big" is 50\d\d bytes .* limit of 1000 bytes/);
    expect(await log.endOffset('big', 0)).toBe(0);
  });

  it('rejects bad input with errors that say what to do', async () => {
    const log = await openLog();
    await expect(log.append('nope', [record(1)])).rejects.toBeInstanceOf(UnknownTopicError);
    await expect(log.createTopic('bad/name')).rejects.toBeInstanceOf(InvalidTopicError);
    await expect(log.createTopic('.hidden')).rejects.toBeInstanceOf(InvalidTopicError);
    await expect(log.createTopic('t', { partitions: 0 })).rejects.toBeInstanceOf(InvalidTopicError);
    await log.createTopic('t', { partitions: 2 });
    await expect(log.read('t', 2, 0)).rejects.toBeInstanceOf(UnknownPartitionError);
    await expect(log.read('t', 0, 1)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    const notBuffer = { key: null, value: 'text' } as unknown as LogRecord;
    await expect(log.append('t', [notBuffer])).rejects.toBeInstanceOf(InvalidRecordError);
    expect(await log.append('t', [])).toEqual([]);
  });

  it('returns at least one record however small maxBytes is', async () => {
    const log = await openLog();
    await log.createTopic('t');
    await log.append('t', [record(1), record(2), record(3)]);
    expect(await log.read('t', 0, 0, { maxBytes: 1 })).toHaveLength(1);
    expect(await log.read('t', 0, 0, { maxRecords: 2 })).toHaveLength(2);
  });

  it.each(['interval', 'never'] as const)('works with fsync %s', async (fsync) => {
    let log = await openLog({ fsync, fsyncIntervalMs: 5, segmentBytes: 1024 });
    await log.createTopic('t');
    await log.append(
      't',
      Array.from({ length: 50 }, (_, i) => record(i)),
    );
    await new Promise((r) => setTimeout(r, 20));
    await log.close();
    log = await openLog({ fsync });
    expect((await readAll(log, 't', 0)).map((r) => r.headers.seq)).toEqual(
      Array.from({ length: 50 }, (_, i) => String(i)),
    );
  });

  it('deletes old segments by size and by age, never the active one', async () => {
    const log = await openLog({ segmentBytes: 1024, retentionBytes: 4096 });
    await log.createTopic('t');
    for (let i = 0; i < 200; i++) await log.append('t', [record(i)]);
    const before = (await readdir(join(dir, 't', '0'))).length;
    expect(await log.enforceRetention()).toBeGreaterThan(0);
    const after = (await readdir(join(dir, 't', '0'))).length;
    expect(after).toBeLessThan(before);
    const start = await log.startOffset('t', 0);
    expect(start).toBeGreaterThan(0);
    await expect(log.read('t', 0, start - 1)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    const rest = await readAll(log, 't', 0);
    expect(rest[0]!.offset).toBe(start);
    expect(rest[rest.length - 1]!.offset).toBe(199);
    expect(rest.reduce((n, r) => n + r.value.length, 0)).toBeGreaterThanOrEqual(3000);
    await log.close();

    const aged = await openLog({ segmentBytes: 1024, retentionMs: 60_000 });
    const files = (await readdir(join(dir, 't', '0'))).sort();
    const old = new Date(Date.now() - 3_600_000);
    for (const f of files) await utimes(join(dir, 't', '0', f), old, old);
    expect(await aged.enforceRetention()).toBe(files.length - 1);
    expect(await aged.startOffset('t', 0)).toBe(
      (await aged.endOffset('t', 0)) - (await readAll(aged, 't', 0)).length,
    );
    expect(await readdir(join(dir, 't', '0'))).toEqual([files[files.length - 1]]);
    const [next] = await aged.append('t', [record(200)]);
    expect(next!.offset).toBe(200);
  });

  it('refuses a second open of the same directory and takes over a stale lock', async () => {
    await openLog();
    await expect(EmbeddedLog.open(dir)).rejects.toBeInstanceOf(LogLockedError);
    await expect(EmbeddedLog.open(dir)).rejects.toThrow(`Another Freshet process is using ${dir}`);
    await open.pop()!.close();

    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const lock = {
      pid: dead,
      hostname: (await import('node:os')).hostname(),
      token: 'x',
      since: 'then',
    };
    await writeFile(join(dir, '.freshet.lock'), JSON.stringify(lock));
    const log = await openLog();
    await log.createTopic('t');
    expect(await log.topics()).toEqual([{ name: 't', partitions: 1 }]);
  });
});
