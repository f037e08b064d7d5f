import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedLog } from './embedded-log.js';
import {
  LogError,
  OffsetOutOfRangeError,
  UnknownPartitionError,
  UnknownTopicError,
} from './errors.js';
import { KafkaLog, parseKafkaReaderUrl, parseKafkaUrl } from './kafka-log.js';
import { kafkaPartition } from './kafka-partitioner.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The Log interface against a real Apache Kafka broker (KRaft, started by
 * `scripts/services start` on 127.0.0.1:$FRESHET_TEST_KAFKA_PORT). Outside CI the tests skip
 * loudly when no broker answers; in CI they fail.
 */
const PORT = Number(process.env.FRESHET_TEST_KAFKA_PORT ?? 9092);
const BROKER = `127.0.0.1:${PORT}`;

function brokerUp(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: PORT });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

const up = await brokerUp();
if (!up && !process.env.CI) {
  console.warn(
    `\n*** SKIPPING the Kafka log tests: no Kafka broker at ${BROKER} (scripts/services start) ***\n`,
  );
}

const run = Date.now().toString(36);
const name = (t: string) => `freshet-test-${run}-${t}`;

describe('parseKafkaUrl', () => {
  it('reads brokers and refuses what is not a kafka URL', () => {
    expect(parseKafkaUrl('kafka://127.0.0.1:9092')).toEqual({ brokers: ['127.0.0.1:9092'] });
    expect(parseKafkaUrl('kafka://a:1,b:2/')).toEqual({ brokers: ['a:1', 'b:2'] });
    expect(parseKafkaUrl('kafka://a:1?topicPrefix=run-7.')).toEqual({
      brokers: ['a:1'],
      topicPrefix: 'run-7.',
    });
    expect(() => parseKafkaUrl('kafka://a:1?acks=0')).toThrow(/Unknown option acks/);
    expect(() => parseKafkaUrl('http://a:1')).toThrow(/kafka:\/\/host:port/);
    expect(() => parseKafkaUrl('kafka://a')).toThrow(/host:port/);
  });

  it('keeps the transactionalId for the producer and leaves it out for readers', () => {
    const url = 'kafka://a:1?topicPrefix=p.&transactionalId=freshet-1';
    expect(parseKafkaUrl(url)).toEqual({
      brokers: ['a:1'],
      topicPrefix: 'p.',
      transactionalId: 'freshet-1',
    });
    expect(parseKafkaReaderUrl(url)).toEqual({ brokers: ['a:1'], topicPrefix: 'p.' });
    expect(() => parseKafkaUrl('kafka://a:1?transactionalId=bad id')).toThrow(/transactionalId/);
  });
});

describe.skipIf(!up && !process.env.CI)('KafkaLog on a real broker', () => {
  let log: KafkaLog;
  beforeAll(async () => {
    log = await KafkaLog.open({ brokers: [BROKER], clientId: 'freshet-test' });
  });
  afterAll(async () => {
    await log?.close();
  });

  it('creates topics idempotently, keeping the partition count', async () => {
    const t = name('create');
    await log.createTopic(t, { partitions: 3 });
    await log.createTopic(t, { partitions: 5 });
    const info = (await log.topics()).find((x) => x.name === t);
    expect(info).toEqual({ name: t, partitions: 3 });
    expect((await log.topics()).some((x) => x.name.startsWith('__'))).toBe(false);
  });

  it('appends keyed records to the partition the embedded log and Kafka agree on, and reads them back', async () => {
    const t = name('append');
    await log.createTopic(t, { partitions: 4 });
    const records = Array.from({ length: 300 }, (_, i) => ({
      key: `store-${i % 37}`,
      value: Buffer.from(JSON.stringify({ i })),
      headers: { 'freshet.event-id': `e${i}`, n: String(i) },
      timestamp: 1_700_000_000_000 + i,
    }));
    const results = await log.append(t, records);
    expect(results).toHaveLength(300);
    results.forEach((r, i) => expect(r.partition).toBe(kafkaPartition(records[i]!.key, 4)));

    // The embedded log puts every key on the same partition.
    const dir = await mkdtemp(join(tmpdir(), 'freshet-kafka-'));
    try {
      const embedded = await EmbeddedLog.open(join(dir, 'log'));
      await embedded.createTopic(t, { partitions: 4 });
      const er = await embedded.append(t, records);
      expect(er.map((r) => r.partition)).toEqual(results.map((r) => r.partition));
      await embedded.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    let seen = 0;
    for (let p = 0; p < 4; p++) {
      const end = await log.endOffset(t, p);
      expect(await log.startOffset(t, p)).toBe(0);
      const got = [];
      for (let off = 0; off < end;) {
        const batch = await log.read(t, p, off, { maxRecords: 25 });
        expect(batch.length).toBeGreaterThan(0);
        expect(batch.length).toBeLessThanOrEqual(25);
        got.push(...batch);
        off = batch[batch.length - 1]!.offset + 1;
      }
      expect(await log.read(t, p, end)).toEqual([]);
      for (const r of got) {
        const i = Number(r.headers.n);
        const at = results[i]!;
        expect({ partition: r.partition, offset: r.offset }).toEqual(at);
        expect(r.key).toBe(records[i]!.key);
        expect(r.value.toString()).toBe(JSON.stringify({ i }));
        expect(r.headers['freshet.event-id']).toBe(`e${i}`);
        expect(r.timestamp).toBe(records[i]!.timestamp);
      }
      // Offsets come back in order, contiguous on a non-transactional topic.
      expect(got.map((r) => r.offset)).toEqual(got.map((_, k) => k));
      seen += got.length;
    }
    expect(seen).toBe(300);
  });

  it('keeps a topic prefix inside Kafka and out of sight', async () => {
    const prefix = `freshet-test-${run}-ns.`;
    const ns = await KafkaLog.open({ brokers: [BROKER], topicPrefix: prefix });
    try {
      await ns.createTopic('orders', { partitions: 2 });
      expect(await ns.topics()).toEqual([{ name: 'orders', partitions: 2 }]);
      expect((await log.topics()).map((x) => x.name)).toContain(`${prefix}orders`);
      const [r] = await ns.append('orders', [{ key: 'k', value: Buffer.from('v') }]);
      expect((await ns.read('orders', r!.partition, 0))[0]!.value.toString()).toBe('v');
      expect(await log.endOffset(`${prefix}orders`, r!.partition)).toBe(1);
    } finally {
      await ns.close();
    }
  });

  it('spreads null keys round-robin, defaults the timestamp, and honours maxBytes', async () => {
    const t = name('nullkey');
    await log.createTopic(t, { partitions: 2 });
    const before = Date.now();
    const res = await log.append(
      t,
      Array.from({ length: 4 }, () => ({ key: null, value: Buffer.alloc(1000, 1) })),
    );
    expect(new Set(res.map((r) => r.partition))).toEqual(new Set([0, 1]));
    const got = await log.read(t, res[0]!.partition, 0, { maxBytes: 1500 });
    expect(got).toHaveLength(1); // a second 1000-byte record would pass maxBytes
    expect(got[0]!.key).toBeNull();
    expect(got[0]!.timestamp).toBeGreaterThanOrEqual(before - 1000);
  });

  it('says clearly what does not exist or is out of range', async () => {
    const t = name('errors');
    await log.createTopic(t, { partitions: 1 });
    await log.append(t, [{ key: 'k', value: Buffer.from('v') }]);
    await expect(log.read(name('nope'), 0, 0)).rejects.toBeInstanceOf(UnknownTopicError);
    await expect(
      log.append(name('nope'), [{ key: 'k', value: Buffer.from('v') }]),
    ).rejects.toBeInstanceOf(UnknownTopicError);
    await expect(log.read(t, 1, 0)).rejects.toBeInstanceOf(UnknownPartitionError);
    await expect(log.read(t, 0, 5)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    await expect(log.createTopic('bad name')).rejects.toThrow(/Invalid topic/);
  });

  it('makes each append one transaction with a transactionalId: readers never see an aborted batch', async () => {
    const t = name('tx');
    await log.createTopic(t, { partitions: 1 });
    const tx = await KafkaLog.open({ brokers: [BROKER], transactionalId: `freshet-test-${run}` });
    try {
      const a = await tx.append(t, [
        { key: 'a', value: Buffer.from('1') },
        { key: 'b', value: Buffer.from('2') },
      ]);
      expect(a.map((r) => r.offset)).toEqual([0, 1]);
      const b = await tx.append(t, [{ key: 'c', value: Buffer.from('3') }]);
      // The commit marker of the first transaction took offset 2.
      expect(b[0]!.offset).toBe(3);
      // A bad record fails the whole batch before anything is sent.
      await expect(
        tx.append(t, [
          { key: 'd', value: Buffer.from('4') },
          { key: 'e', value: 'not a buffer' as unknown as Buffer },
        ]),
      ).rejects.toThrow(/value must be a Buffer/);
      // The coordinator writes a commit's marker just after the commit returns, and read_committed
      // readers see the transaction once it is there.
      let end = await tx.endOffset(t, 0);
      for (let i = 0; end < 5 && i < 50; i++) {
        await new Promise((r) => setTimeout(r, 100));
        end = await tx.endOffset(t, 0);
      }
      expect(end).toBe(5);
      const got = await log.read(t, 0, 0);
      expect(got.map((r) => [r.offset, r.value.toString()])).toEqual([
        [0, '1'],
        [1, '2'],
        [3, '3'],
      ]);
      expect(await log.read(t, 0, 4)).toEqual([]);
    } finally {
      await tx.close();
    }
  });

  it('takes over a transactionalId whose last producer died inside an open transaction', async () => {
    const t = name('orphan');
    await log.createTopic(t, { partitions: 1 });
    const txId = `freshet-test-orphan-${run}`;
    const peer = fileURLToPath(
      new URL('../../test/peers/kafka-open-transaction.mjs', import.meta.url),
    );
    const child = spawnSync(process.execPath, [peer, BROKER, t, txId], { encoding: 'utf8' });
    expect(child.stdout).toBe('open\n');
    const tx = await KafkaLog.open({ brokers: [BROKER], transactionalId: txId });
    try {
      // The new producer fences the dead one; the coordinator aborts what it left open.
      const [ack] = await tx.append(t, [{ key: 'next', value: Buffer.from('committed') }]);
      expect(ack!.offset).toBeGreaterThan(0);
      let got: string[] = [];
      for (let i = 0; i < 50 && got.length === 0; i++) {
        got = (await log.read(t, 0, 0)).map((r) => r.value.toString());
        if (got.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(got).toEqual(['committed']);
    } finally {
      await tx.close();
    }
  });

  it('sends an append bigger than a produce request as several, in order, and refuses an oversized record', async () => {
    const t = name('big');
    await log.createTopic(t, { partitions: 2 });
    // 12,000 × ~260 B ≈ 3 MB: over the broker's 1 MiB per partition batch, so several requests.
    const records = Array.from({ length: 12_000 }, (_, i) => ({
      key: `S${i % 37}`,
      value: Buffer.from(String(i).padEnd(250, '.')),
      headers: { seq: String(i) },
    }));
    const acks = await log.append(t, records);
    expect(acks).toHaveLength(12_000);
    for (let p = 0; p < 2; p++) {
      const mine = acks.filter((a) => a.partition === p).map((a) => a.offset);
      // Contiguous from 0, in the order given.
      expect(mine).toEqual(mine.map((_, i) => i));
      expect(await log.endOffset(t, p)).toBe(mine.length);
    }
    const back = await log.read(t, acks[11_999]!.partition, acks[11_999]!.offset);
    expect(back[0]!.headers.seq).toBe('11999');

    const small = await KafkaLog.open({ brokers: [BROKER], maxRecordBytes: 10_000 });
    try {
      await expect(
        small.append(t, [
          { key: 'ok', value: Buffer.alloc(100) },
          { key: 'huge', value: Buffer.alloc(20_000) },
        ]),
      ).rejects.toThrow(/is 20004 bytes as stored, over the limit of 10000 bytes/);
      // Refused before anything was sent: the good record of that append is not there either.
      expect(await log.endOffset(t, 0)).toBe(acks.filter((a) => a.partition === 0).length);
      expect(await log.endOffset(t, 1)).toBe(acks.filter((a) => a.partition === 1).length);
    } finally {
      await small.close();
    }
  });

  it('fails with a retriable LogError, not a hang, when no broker answers', async () => {
    const started = Date.now();
    const err = await KafkaLog.open({ brokers: ['127.0.0.1:1'], retries: 1, timeoutMs: 2000 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LogError);
    expect((err as LogError).retriable).toBe(true);
    expect((err as Error).message).toMatch(/127\.0\.0\.1:1/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
