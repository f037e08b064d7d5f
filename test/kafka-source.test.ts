// KafkaTopicSource against the real Kafka broker of `scripts/services start`: an external
// producer (@platformatic/kafka used directly, as any other producer would) fills topics with plain
// JSON, Confluent Avro framed with schemas from a registry served over HTTP, Debezium change
// events (plain and schema+payload) and tombstones; the source brings them into an EmbeddedLog.
// Outside CI the tests skip loudly when no broker answers; in CI they fail.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Admin, Consumer, Producer, ProduceAcks } from '@platformatic/kafka';
import avro from 'avsc';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedLog, type StoredRecord } from '../src/log/index.js';
import { EmbeddedRegistry, encodeWire, ExternalRegistry } from '../src/registry/index.js';
import { registryRoutes } from '../src/serve/registry-api.js';
import { KafkaTopicSource, type KafkaTopicSourceOptions } from '../src/sources/kafka/index.js';

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
    `\n*** SKIPPING the Kafka source tests: no Kafka broker at ${BROKER} (scripts/services start) ***\n`,
  );
}

const run = `fks-${Date.now().toString(36)}`;
const topicName = (t: string) => `${run}-${t}`;

let dir: string;
let admin: Admin;
let producer: Producer<Buffer, Buffer, Buffer, Buffer>;
let sourceRegistry: EmbeddedRegistry;
let registryServer: Server;
let registryPort = 0;
let registryUrl: string;
const started: KafkaTopicSource[] = [];
const logs: EmbeddedLog[] = [];

function startRegistryServer(port: number): Promise<Server> {
  const app = new Hono();
  app.route('/', registryRoutes(sourceRegistry));
  return new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () =>
      resolve(s as Server),
    ) as Server;
  });
}

async function stopRegistryServer(): Promise<void> {
  registryServer.closeAllConnections();
  await new Promise((r) => registryServer.close(() => r(undefined)));
}

async function until<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function createTopic(topic: string, partitions: number): Promise<void> {
  await admin.createTopics({ topics: [topic], partitions });
  await until(`leaders of ${topic}`, async () => {
    const md = await admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined);
    const t = md?.topics.get(topic);
    return t && t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0);
  });
}

interface Msg {
  key?: string | Buffer;
  value: string | Buffer | null;
  partition?: number;
  headers?: Record<string, string>;
  timestamp?: number;
}

async function produce(topic: string, messages: Msg[]): Promise<void> {
  await producer.send({
    messages: messages.map((m) => ({
      topic,
      ...(m.partition === undefined ? {} : { partition: m.partition }),
      ...(m.key === undefined ? {} : { key: Buffer.from(m.key) }),
      ...(m.value === null ? {} : { value: Buffer.from(m.value) }),
      headers: new Map(
        Object.entries(m.headers ?? {}).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]),
      ),
      ...(m.timestamp === undefined ? {} : { timestamp: BigInt(m.timestamp) }),
    })),
  });
}

async function openLog(name: string): Promise<EmbeddedLog> {
  const log = await EmbeddedLog.open(join(dir, name));
  logs.push(log);
  return log;
}

function source(
  opts: Partial<KafkaTopicSourceOptions> &
    Pick<KafkaTopicSourceOptions, 'log' | 'groupId' | 'checkpointPath'>,
): KafkaTopicSource {
  const s = new KafkaTopicSource({
    brokers: [BROKER],
    cluster: 'test',
    sessionTimeoutMs: 6000,
    pollWaitMs: 100,
    retryDelayMs: 300,
    ...opts,
  });
  started.push(s);
  return s;
}

async function readAll(log: EmbeddedLog, topic: string): Promise<StoredRecord[]> {
  const info = (await log.topics()).find((t) => t.name === topic);
  if (!info) return [];
  const out: StoredRecord[] = [];
  for (let p = 0; p < info.partitions; p++) {
    for (let at = 0; ;) {
      const batch = await log.read(topic, p, at);
      if (batch.length === 0) break;
      out.push(...batch);
      at = batch[batch.length - 1]!.offset + 1;
    }
  }
  return out;
}

const ids = (records: StoredRecord[]) => records.map((r) => r.headers['freshet.event-id']!);

async function committed(groupId: string, topic: string, partitions: number[]): Promise<number[]> {
  const c = new Consumer<Buffer, Buffer, Buffer, Buffer>({
    clientId: 'fks-check',
    bootstrapBrokers: [BROKER],
    groupId,
  });
  try {
    const r = await c.listCommittedOffsets({ topics: [{ topic, partitions }] });
    return partitions.map((p) => Number(r.get(topic)?.[p] ?? -1n));
  } finally {
    await c.close();
  }
}

/** Records the external topic holds (sum of end offsets): what the source must bring, no more. */
async function sourceCount(topic: string, partitions: number): Promise<number> {
  const c = new Consumer<Buffer, Buffer, Buffer, Buffer>({
    clientId: 'fks-check',
    bootstrapBrokers: [BROKER],
    groupId: 'fks-none',
  });
  try {
    const r = await c.listOffsets({
      topics: [topic],
      partitions: { [topic]: [...Array(partitions).keys()] },
    });
    return (r.get(topic) ?? []).reduce((a, b) => a + Number(b), 0);
  } finally {
    await c.close();
  }
}

// A Debezium PostgreSQL connector's change event for table public.orders, as it emits it.
function debeziumEvent(op: 'c' | 'u' | 'd', id: number, lsn: number, qty: number | null) {
  const row = (q: number) => ({ id, store_id: 'S-1', qty: q });
  return {
    before: op === 'c' ? null : row(qty === null ? 1 : qty - 1),
    after: op === 'd' ? null : row(qty ?? 0),
    source: {
      version: '2.7.3.Final',
      connector: 'postgresql',
      name: 'erp',
      ts_ms: 1_700_000_000_000 + lsn,
      snapshot: 'false',
      db: 'erp',
      sequence: `[null,"${lsn}"]`,
      schema: 'public',
      table: 'orders',
      txId: 700 + lsn,
      lsn,
      xmin: null,
    },
    op,
    ts_ms: 1_700_000_000_100 + lsn,
    transaction: null,
  };
}

beforeAll(async () => {
  if (!up) return;
  dir = await mkdtemp(join(tmpdir(), 'freshet-kafka-source-'));
  admin = new Admin({ clientId: 'fks-admin', bootstrapBrokers: [BROKER] });
  producer = new Producer({
    clientId: 'fks-producer',
    bootstrapBrokers: [BROKER],
    acks: ProduceAcks.ALL,
    // Idempotent, so the producer's own retries (a new topic's leader moving in) add no duplicates
    // at the source; -1/-1 as Kafka's client asks for a first producer id.
    idempotent: true,
    producerId: -1n,
    producerEpoch: -1,
    autocreateTopics: false,
  });
  sourceRegistry = await EmbeddedRegistry.open(join(dir, 'source-registry'));
  registryServer = await startRegistryServer(0);
  registryPort = (registryServer.address() as AddressInfo).port;
  registryUrl = `http://127.0.0.1:${registryPort}`;
});

afterAll(async () => {
  for (const s of started) await s.stop().catch(() => undefined);
  for (const l of logs) await l.close().catch(() => undefined);
  await producer?.close().catch(() => undefined);
  await admin?.close().catch(() => undefined);
  if (registryServer?.listening) await stopRegistryServer();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!up && !process.env.CI)('KafkaTopicSource on a real broker', () => {
  it('brings JSON and Debezium change events (plain and schema+payload) and tombstones into the log once, with ids, keys, headers and timestamps', async () => {
    const topic = topicName('erp.public.orders');
    await createTopic(topic, 3);
    const events: Msg[] = [];
    for (let i = 0; i < 30; i++) {
      const ev = debeziumEvent(i % 3 === 0 ? 'c' : 'u', i % 10, i, i + 1);
      const value =
        i % 2 === 0
          ? JSON.stringify(ev)
          : JSON.stringify({
              schema: { type: 'struct', name: 'erp.public.orders.Envelope', fields: [] },
              payload: ev,
            });
      events.push({
        key: JSON.stringify({ id: i % 10 }),
        value,
        headers: { trace: `t-${i}` },
        timestamp: 1_700_000_000_000 + i,
      });
    }
    // A delete, then its tombstone (null value), as Debezium writes them.
    events.push({
      key: '{"id":3}',
      value: JSON.stringify(debeziumEvent('d', 3, 99, null)),
      timestamp: 1_700_000_000_099,
    });
    events.push({ key: '{"id":3}', value: null, timestamp: 1_700_000_000_099 });
    await produce(topic, events);
    expect(await sourceCount(topic, 3)).toBe(32);

    const log = await openLog('log-json');
    const checkpointPath = join(dir, 'cp-json.json');
    const s = source({
      topics: [topic],
      format: 'json',
      log,
      groupId: `${run}-g-json`,
      checkpointPath,
      targetTopics: { [topic]: 'erp.orders' },
    });
    await s.start();
    await until(
      'all 32 records',
      () => s.status().eventsAccepted >= 32 && s.status().lag[topic]?.[0] === 0 && s.status(),
    );
    const st = s.status();
    expect(st.eventsRejected).toBe(0);
    expect(st.tombstones).toBe(1);
    expect(Object.values(st.lag[topic]!)).toEqual([0, 0, 0]);
    await s.stop();

    const got = await readAll(log, 'erp.orders');
    expect(got).toHaveLength(32);
    expect(new Set(ids(got)).size).toBe(32);
    for (const r of got)
      expect(r.headers['freshet.event-id']).toMatch(new RegExp(`^kafka:test:${topic}:[0-2]:\\d+$`));
    expect(got.every((r) => r.headers['freshet.source'] === 'kafka')).toBe(true);
    const tomb = got.filter((r) => r.headers['freshet.tombstone'] === 'true');
    expect(tomb).toHaveLength(1);
    expect(tomb[0]!.value.length).toBe(0);
    expect(tomb[0]!.key).toBe('{"id":3}');
    const changes = got.filter((r) => r.headers['freshet.tombstone'] !== 'true');
    for (const r of changes) {
      const ev = JSON.parse(r.value.toString()) as ReturnType<typeof debeziumEvent>;
      // The envelope as the event; the converter's schema+payload wrapper is gone.
      expect(Object.keys(ev).sort()).toEqual([
        'after',
        'before',
        'op',
        'source',
        'transaction',
        'ts_ms',
      ]);
      expect(r.key).toBe(JSON.stringify({ id: (ev.after ?? ev.before)!.id }));
      expect(r.timestamp).toBe(1_700_000_000_000 + ev.source.lsn);
      if (ev.source.lsn < 30) expect(r.headers['kafka.header.trace']).toBe(`t-${ev.source.lsn}`);
    }
    // Positions: the checkpoint and the group's offsets both at the end of each partition.
    const cp = JSON.parse(await readFile(checkpointPath, 'utf8')) as {
      positions: Record<string, Record<string, number>>;
    };
    const total = Object.values(cp.positions[topic]!).reduce((a, b) => a + b, 0);
    expect(total).toBe(32);
    expect((await committed(`${run}-g-json`, topic, [0, 1, 2])).reduce((a, b) => a + b, 0)).toBe(
      32,
    );
  });

  const orderSchema = {
    type: 'record',
    name: 'Order',
    namespace: 'retail.orders',
    fields: [
      { name: 'order_id', type: 'string' },
      { name: 'qty', type: 'int' },
      { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
      { name: 'channel', type: ['null', 'string'], default: null },
    ],
  };
  const orderType = avro.Type.forSchema(orderSchema as avro.Schema);
  const cents = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };

  it('decodes Confluent Avro by schema id from a registry over HTTP, validates against Freshet’s registry, and quarantines garbage, unknown ids, undecodable Avro and invalid events with the reason', async () => {
    const topic = topicName('orders-avro');
    await createTopic(topic, 2);
    const { id } = await sourceRegistry.register(`${topic}-value`, {
      schemaType: 'AVRO',
      schema: JSON.stringify(orderSchema),
    });
    const freshetRegistry = await EmbeddedRegistry.open(join(dir, 'freshet-registry-avro'));
    const target = 'orders';
    const { id: freshetId } = await freshetRegistry.register(`${target}-value`, {
      schemaType: 'JSON',
      schema: JSON.stringify({
        type: 'object',
        required: ['order_id', 'qty', 'price'],
        properties: { qty: { type: 'integer', minimum: 0 }, price: { type: 'string' } },
      }),
    });
    const good: Msg[] = [];
    for (let i = 0; i < 20; i++) {
      const v = {
        order_id: `o-${i}`,
        qty: i,
        price: cents(1999 + i),
        channel: i % 2 ? 'web' : null,
      };
      good.push({ key: `o-${i}`, value: encodeWire(id, orderType.toBuffer(v)) });
    }
    const bad: Msg[] = [
      { key: 'garbage', value: Buffer.from('garbage bytes \u0001\u0002') },
      {
        key: 'unknown-id',
        value: encodeWire(
          987654,
          orderType.toBuffer({ order_id: 'x', qty: 1, price: cents(1), channel: null }),
        ),
      },
      { key: 'truncated', value: encodeWire(id, Buffer.from([0x06, 0x61])) },
      {
        key: 'negative',
        value: encodeWire(
          id,
          orderType.toBuffer({ order_id: 'neg', qty: -3, price: cents(5), channel: null }),
        ),
      },
    ];
    // Plain JSON in the same topic: 'auto' reads it as JSON (it does not start with magic byte 0).
    const plain: Msg = {
      key: 'plain',
      value: JSON.stringify({ order_id: 'plain', qty: 2, price: '3.00' }),
    };
    await produce(topic, [...good.slice(0, 10), ...bad, plain, ...good.slice(10)]);
    expect(await sourceCount(topic, 2)).toBe(25);

    const log = await openLog('log-avro');
    const s = source({
      topics: [topic],
      targetTopics: () => target,
      format: 'auto',
      sourceRegistry: new ExternalRegistry(registryUrl),
      registry: freshetRegistry,
      log,
      groupId: `${run}-g-avro`,
      checkpointPath: join(dir, 'cp-avro.json'),
    });
    await s.start();
    await until('25 records', () => s.status().eventsAccepted + s.status().eventsRejected >= 25);
    await s.stop();
    expect(s.status()).toMatchObject({ eventsAccepted: 21, eventsRejected: 4 });

    const events = await readAll(log, target);
    expect(events).toHaveLength(21);
    const byKey = new Map(events.map((r) => [r.key, r]));
    const o7 = byKey.get('o-7')!;
    expect(JSON.parse(o7.value.toString())).toEqual({
      order_id: 'o-7',
      qty: 7,
      price: '20.06',
      channel: 'web',
    });
    expect(o7.headers['kafka.schema-id']).toBe(String(id));
    expect(o7.headers['freshet.schema-id']).toBe(String(freshetId));
    expect(JSON.parse(byKey.get('plain')!.value.toString())).toMatchObject({ order_id: 'plain' });
    expect(byKey.get('plain')!.headers['kafka.schema-id']).toBeUndefined();

    const quarantined = (await readAll(log, 'freshet.quarantine')).filter(
      (r) => r.headers['freshet.topic'] === target,
    );
    const reason = new Map(quarantined.map((r) => [r.key, r.headers['freshet.error']!]));
    expect(reason.get('garbage')).toMatch(/not JSON/);
    expect(reason.get('unknown-id')).toMatch(/unknown schema id 987654/);
    expect(reason.get('truncated')).toMatch(/does not decode with its writer schema id/);
    expect(reason.get('negative')).toMatch(/qty.*>= 0/);
    expect(quarantined).toHaveLength(4);
    for (const q of quarantined) {
      // The source position travels with the bad record, and its bytes are kept as they came.
      expect(q.headers['freshet.source-position']).toMatch(new RegExp(`^${topic}:[01]:\\d+$`));
      expect(q.headers['freshet.event-id']).toMatch(/^kafka:test:/);
    }
    expect(quarantined.find((q) => q.key === 'garbage')!.value.toString()).toBe(
      'garbage bytes \u0001\u0002',
    );
  });

  it('resumes after a stop from its checkpoint with nothing lost or doubled, and from the group offsets when the checkpoint is gone', async () => {
    const topic = topicName('restart');
    await createTopic(topic, 2);
    const batch = (from: number, n: number): Msg[] =>
      Array.from({ length: n }, (_, i) => ({
        key: `k${(from + i) % 7}`,
        value: JSON.stringify({ n: from + i }),
      }));
    await produce(topic, batch(0, 15));
    const log = await openLog('log-restart');
    const checkpointPath = join(dir, 'cp-restart.json');
    const opts = {
      topics: [topic],
      format: 'json' as const,
      log,
      groupId: `${run}-g-restart`,
      checkpointPath,
    };
    const a = source(opts);
    await a.start();
    await until('15', () => a.status().eventsAccepted >= 15);
    await a.stop();
    await produce(topic, batch(15, 15));
    // The same instance started again resumes too (its counters go on from 15).
    await a.start();
    await until('15 more', () => a.status().eventsAccepted >= 30 && a.status());
    await a.stop();
    expect(a.status().eventsAccepted).toBe(30);
    // Without the checkpoint, the group's committed offsets (never ahead of the log) are the fallback.
    await rm(checkpointPath);
    await produce(topic, batch(30, 5));
    const c = source(opts);
    await c.start();
    await until('5 more', () => c.status().eventsAccepted >= 5);
    await new Promise((r) => setTimeout(r, 500));
    await c.stop();
    expect(c.status().eventsAccepted).toBe(5);
    const got = await readAll(log, topic);
    expect(got).toHaveLength(35);
    expect(new Set(got.map((r) => (JSON.parse(r.value.toString()) as { n: number }).n)).size).toBe(
      35,
    );
    expect(new Set(ids(got)).size).toBe(35);
  });

  it('after a kill between the append and the checkpoint, finds what the dead run appended in the log and does not append it again (and a replay keeps the ids)', async () => {
    const topic = topicName('kill');
    await createTopic(topic, 2);
    await produce(
      topic,
      Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ n: i }) })),
    );
    const log = await openLog('log-kill');
    const checkpointPath = join(dir, 'cp-kill.json');
    const opts = {
      topics: [topic],
      format: 'json' as const,
      log,
      groupId: `${run}-g-kill`,
      checkpointPath,
    };
    let killedAt = -1;
    const a: KafkaTopicSource = source({
      ...opts,
      maxRecordsPerPartition: 10,
      beforeCheckpoint: async () => {
        // The first batch is durable in the log; the process dies before it saves or commits anything.
        killedAt = (await readAll(log, topic)).length;
        await a.kill();
      },
    });
    await a.start();
    await until('the kill', () => killedAt >= 0);
    expect(killedAt).toBeGreaterThan(0);
    const b = source(opts);
    await b.start();
    await until('all 40', async () => new Set(ids(await readAll(log, topic))).size >= 40);
    await new Promise((r) => setTimeout(r, 300));
    await b.stop();
    // The replay read the dead run's records again (same ids) and recognised them in the log.
    expect(b.status().skippedDuplicates).toBe(killedAt);
    expect(b.status().eventsAccepted).toBe(40 - killedAt);
    const got = await readAll(log, topic);
    expect(got).toHaveLength(40);
    expect(new Set(ids(got)).size).toBe(40);
    expect(new Set(got.map((r) => (JSON.parse(r.value.toString()) as { n: number }).n)).size).toBe(
      40,
    );
  });

  it('without its log marks (an older checkpoint) a replay after a kill gives duplicates only, each with the same id, key and value', async () => {
    const topic = topicName('kill-nomarks');
    await createTopic(topic, 1);
    await produce(
      topic,
      Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ n: i }) })),
    );
    const log = await openLog('log-kill-nomarks');
    const checkpointPath = join(dir, 'cp-kill-nomarks.json');
    const opts = {
      topics: [topic],
      format: 'json' as const,
      log,
      groupId: `${run}-g-kill-nomarks`,
      checkpointPath,
    };
    let killedAt = -1;
    const a: KafkaTopicSource = source({
      ...opts,
      maxRecordsPerPartition: 8,
      beforeCheckpoint: async () => {
        killedAt = (await readAll(log, topic)).length;
        await a.kill();
      },
    });
    await a.start();
    await until('the kill', () => killedAt >= 0);
    await rm(checkpointPath); // as a checkpoint written before marks existed: positions only
    const b = source(opts);
    await b.start();
    await until('all 20', async () => new Set(ids(await readAll(log, topic))).size >= 20);
    await b.stop();
    const got = await readAll(log, topic);
    expect(got.length).toBe(20 + killedAt);
    const byId = new Map<string, StoredRecord[]>();
    for (const r of got) {
      const id = r.headers['freshet.event-id']!;
      byId.set(id, [...(byId.get(id) ?? []), r]);
    }
    expect(byId.size).toBe(20);
    for (const copies of byId.values()) {
      for (const c of copies) {
        expect(c.key).toBe(copies[0]!.key);
        expect(c.value.equals(copies[0]!.value)).toBe(true);
      }
    }
  });

  it('two sources in one consumer group split the partitions, and one takes all over when the other stops', async () => {
    const topic = topicName('group');
    await createTopic(topic, 4);
    const log = await openLog('log-group');
    const groupId = `${run}-g-group`;
    const a = source({
      name: 'a',
      topics: [topic],
      format: 'json',
      log,
      groupId,
      checkpointPath: join(dir, 'cp-group-a.json'),
    });
    const b = source({
      name: 'b',
      topics: [topic],
      format: 'json',
      log,
      groupId,
      checkpointPath: join(dir, 'cp-group-b.json'),
    });
    await a.start();
    await b.start();
    const split = await until('a split of the partitions', () => {
      const pa = a.assigned()[topic] ?? [];
      const pb = b.assigned()[topic] ?? [];
      return pa.length > 0 && pb.length > 0 && pa.length + pb.length === 4 && { pa, pb };
    });
    expect([...split.pa, ...split.pb].sort()).toEqual([0, 1, 2, 3]);
    const msgs = (from: number, n: number): Msg[] =>
      Array.from({ length: n }, (_, i) => ({
        partition: (from + i) % 4,
        value: JSON.stringify({ n: from + i }),
      }));
    await produce(topic, msgs(0, 40));
    await until('40', () => a.status().eventsAccepted + b.status().eventsAccepted >= 40);
    expect(a.status().eventsAccepted).toBe(split.pa.length * 10);
    expect(b.status().eventsAccepted).toBe(split.pb.length * 10);
    await b.stop();
    await until('a holds all four', () => (a.assigned()[topic] ?? []).length === 4);
    await produce(topic, msgs(40, 20));
    await until('all 60', async () => (await readAll(log, topic)).length >= 60);
    await a.stop();
    const got = await readAll(log, topic);
    expect(got).toHaveLength(60);
    expect(new Set(ids(got)).size).toBe(60);
  });

  it('pauses while the source registry is down (no quarantine, nothing skipped) and continues once it is back', async () => {
    const topic = topicName('registry-down');
    await createTopic(topic, 1);
    const schema = { ...orderSchema, name: 'OrderDown' };
    const { id } = await sourceRegistry.register(`${topic}-value`, {
      schemaType: 'AVRO',
      schema: JSON.stringify(schema),
    });
    const type = avro.Type.forSchema(schema as avro.Schema);
    await produce(
      topic,
      Array.from({ length: 10 }, (_, i) => ({
        key: `o-${i}`,
        value: encodeWire(
          id,
          type.toBuffer({ order_id: `o-${i}`, qty: i, price: cents(i), channel: null }),
        ),
      })),
    );
    await stopRegistryServer();
    const log = await openLog('log-registry-down');
    const s = source({
      topics: [topic],
      format: 'avro',
      sourceRegistry: new ExternalRegistry(registryUrl, { timeoutMs: 1000 }),
      log,
      groupId: `${run}-g-down`,
      checkpointPath: join(dir, 'cp-down.json'),
    });
    await s.start();
    await until('the pause', () => s.status().paused && s.status());
    await new Promise((r) => setTimeout(r, 1000));
    expect(s.status()).toMatchObject({ eventsAccepted: 0, eventsRejected: 0, paused: true });
    expect(s.status().lastError).toMatch(/registry/);
    expect(s.status().lag[topic]).toEqual({ 0: 10 });
    registryServer = await startRegistryServer(registryPort);
    await until('all 10 after the registry is back', () => s.status().eventsAccepted >= 10);
    await s.stop();
    expect(s.status()).toMatchObject({ eventsAccepted: 10, eventsRejected: 0, paused: false });
    expect(await readAll(log, topic)).toHaveLength(10);
    expect((await readAll(log, 'freshet.quarantine')).length).toBe(0);
  });

  it('registers the converted JSON Schema of Avro events in Freshet’s registry when asked, and validates against it', async () => {
    const topic = topicName('register');
    await createTopic(topic, 1);
    const schema = { ...orderSchema, name: 'OrderReg' };
    const { id } = await sourceRegistry.register(`${topic}-value`, {
      schemaType: 'AVRO',
      schema: JSON.stringify(schema),
    });
    const type = avro.Type.forSchema(schema as avro.Schema);
    await produce(
      topic,
      Array.from({ length: 5 }, (_, i) => ({
        key: `o-${i}`,
        value: encodeWire(
          id,
          type.toBuffer({ order_id: `o-${i}`, qty: i, price: cents(100 + i), channel: 'store' }),
        ),
      })),
    );
    const freshetRegistry = await EmbeddedRegistry.open(join(dir, 'freshet-registry-register'));
    const log = await openLog('log-register');
    const s = source({
      topics: [topic],
      format: 'avro',
      sourceRegistry: new ExternalRegistry(registryUrl),
      registry: freshetRegistry,
      registerSchemas: true,
      log,
      groupId: `${run}-g-register`,
      checkpointPath: join(dir, 'cp-register.json'),
    });
    await s.start();
    await until('5', () => s.status().eventsAccepted >= 5);
    await s.stop();
    const latest = await freshetRegistry.latest(`${topic}-value`);
    expect(latest?.schemaType).toBe('JSON');
    expect(await freshetRegistry.getCompatibility(`${topic}-value`)).toBe('NONE');
    const got = await readAll(log, topic);
    expect(got).toHaveLength(5);
    for (const r of got) expect(r.headers['freshet.schema-id']).toBe(String(latest!.id));
    expect(
      (await freshetRegistry.validate(`${topic}-value`, { order_id: 'x', qty: 'many' })).ok,
    ).toBe(false);
  });

  it('reads the topics a pattern matches, including one created while it runs', async () => {
    const first = topicName('pat.stores');
    const second = topicName('pat.skus');
    const other = topicName('other');
    await createTopic(first, 1);
    await createTopic(other, 1);
    await produce(first, [{ value: '{"a":1}' }, { value: '{"a":2}' }]);
    await produce(other, [{ value: '{"never":true}' }]);
    const log = await openLog('log-pattern');
    const s = source({
      topicPattern: new RegExp(`${run}-pat\\..*`),
      topicRefreshMs: 300,
      format: 'json',
      log,
      groupId: `${run}-g-pattern`,
      checkpointPath: join(dir, 'cp-pattern.json'),
    });
    await s.start();
    await until('the first topic', () => s.status().eventsAccepted >= 2);
    expect(s.status().topics).toEqual([first]);
    await createTopic(second, 2);
    await produce(second, [{ value: '{"b":1}' }, { value: '{"b":2}' }, { value: '{"b":3}' }]);
    await until('the new topic', () => s.status().eventsAccepted >= 5, 30_000);
    await s.stop();
    expect(s.status().topics.sort()).toEqual([first, second].sort());
    expect(await readAll(log, first)).toHaveLength(2);
    expect(await readAll(log, second)).toHaveLength(3);
    expect((await log.topics()).some((t) => t.name === other)).toBe(false);
  });

  it('writes into a Kafka log as Freshet’s log (the distributed variant), tombstones included', async () => {
    const topic = topicName('to-kafka-log');
    await createTopic(topic, 2);
    await produce(topic, [
      { key: '{"id":1}', value: JSON.stringify(debeziumEvent('c', 1, 1, 1)) },
      { key: '{"id":1}', value: JSON.stringify(debeziumEvent('d', 1, 2, null)) },
      { key: '{"id":1}', value: null },
    ]);
    const { KafkaLog } = await import('../src/log/kafka-log.js');
    const log = await KafkaLog.open({
      brokers: [BROKER],
      topicPrefix: `${run}-freshet.`,
      clientId: 'fks-log',
    });
    try {
      const s = source({
        topics: [topic],
        format: 'json',
        targetTopics: () => 'erp.orders',
        log,
        groupId: `${run}-g-kafkalog`,
        checkpointPath: join(dir, 'cp-kafkalog.json'),
      });
      await s.start();
      await until('3', () => s.status().eventsAccepted >= 3);
      await s.stop();
      const got: StoredRecord[] = [];
      for (let p = 0; p < 2; p++) got.push(...(await log.read('erp.orders', p, 0)));
      expect(got).toHaveLength(3);
      expect(got.filter((r) => r.headers['freshet.tombstone'] === 'true')).toHaveLength(1);
      expect(new Set(ids(got)).size).toBe(3);
    } finally {
      await log.close();
    }
  });
});
