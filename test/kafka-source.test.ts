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
});
