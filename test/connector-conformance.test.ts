// The conformance suite every connector passes: the same scenarios, in the same order, against
// each real source system (PostgreSQL, MariaDB, Kafka, a folder of file drops, a paged HTTP API).
//
//   1. start: every record the system holds is delivered once;
//   2. stop, more records written while stopped, a new instance: it restarts from its position,
//      every record once;
//   3. duplicate delivery: the position goes back to an older one (as after a crash between an
//      append and the position save): whatever is delivered again carries the id it had;
//   4. bad records: one the connector cannot use goes to quarantine with the reason, and the
//      records after it still flow;
//   5. the source system restarts mid-stream (where the test can restart it without disturbing
//      other test files: the HTTP API here; the PostgreSQL and MariaDB restarts run in their own
//      connector tests): nothing is lost.
//
// Each record carries an integer `n`; the suite finds it in the payload (or in a Debezium
// envelope's `after`) and checks the set of `n` and the ids per `n`. Needs the services of
// `scripts/services start`; a connector whose system is not there is skipped loudly (fails in CI).
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedLog, KafkaLog, type StoredRecord } from '../src/log/index.js';
import { Metrics } from '../src/observe/index.js';
import { EmbeddedRegistry } from '../src/registry/index.js';
import {
  FileDropSource,
  HttpPullSource,
  KafkaTopicSource,
  MysqlCdcSource,
  PostgresCdcSource,
  type Source,
} from '../src/sources/index.js';

const PG_PORT = Number(process.env.FRESHET_TEST_PG_PORT ?? 5433);
const MARIADB_PORT = Number(process.env.FRESHET_TEST_MARIADB_PORT ?? 3307);
const KAFKA_PORT = Number(process.env.FRESHET_TEST_KAFKA_PORT ?? 9092);
const DB = `freshet_conf_${process.pid}`;
const QUARANTINE = 'freshet.quarantine';

function reachable(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('timeout', () => (socket.destroy(), done(false)));
    socket.once('error', () => done(false));
  });
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, ms = 60_000) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What a connector needs from the suite, and what the suite needs from the source system. */
interface Driver {
  name: string;
  ready(): Promise<boolean>;
  setup(root: string, registry: EmbeddedRegistry): Promise<void>;
  /** Writes records n = from … from + count − 1 into the source system. */
  write(from: number, count: number): Promise<void>;
  /** Writes one record the connector must send to quarantine. */
  writeBad(): Promise<void>;
  /** A new instance of the connector, always with the same position file. */
  source(log: EmbeddedLog, registry: EmbeddedRegistry, checkpointPath: string): Source;
  restartSystem?(): Promise<void>;
  teardown(): Promise<void>;
}

/** `n` of a delivered record: in the payload, or in a Debezium envelope's `after`. */
function numberOf(r: StoredRecord): number | null {
  if (r.value.length === 0) return null; // a tombstone
  try {
    const v = JSON.parse(r.value.toString('utf8')) as { n?: unknown; after?: { n?: unknown } };
    const n = v.after ? v.after.n : v.n;
    return typeof n === 'number' ? n : null;
  } catch {
    return null;
  }
}

async function readAll(log: EmbeddedLog, topic: string): Promise<StoredRecord[]> {
  const info = (await log.topics()).find((t) => t.name === topic);
  const out: StoredRecord[] = [];
  for (let p = 0; p < (info?.partitions ?? 0); p++) {
    let next = 0;
    for (;;) {
      const batch = await log.read(topic, p, next, { maxRecords: 5000 });
      if (batch.length === 0) break;
      out.push(...batch);
      next = batch[batch.length - 1]!.offset + 1;
    }
  }
  return out;
}

/** Every delivered data record, by its `n`: the event ids it arrived with. */
async function delivered(log: EmbeddedLog): Promise<Map<number, string[]>> {
  const byN = new Map<number, string[]>();
  for (const t of await log.topics()) {
    if (t.name === QUARANTINE || t.name.endsWith('.transaction')) continue;
    for (const r of await readAll(log, t.name)) {
      const n = numberOf(r);
      if (n === null) continue;
      const ids = byN.get(n) ?? [];
      ids.push(r.headers['freshet.event-id'] ?? '');
      byN.set(n, ids);
    }
  }
  return byN;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

function conformance(driver: Driver): void {
  let ready = false;
  let root: string;
  let log: EmbeddedLog;
  let registry: EmbeddedRegistry;
  let checkpoint: string;
  let running: Source | null = null;

  const start = async () => {
    running = driver.source(log, registry, checkpoint);
    await running.start();
    return running;
  };
  const stop = async () => {
    await running?.stop();
    running = null;
  };
  const until = (what: string, count: number) =>
    waitFor(what, async () => {
      const got = await delivered(log);
      return got.size >= count ? got : undefined;
    });

  beforeAll(async () => {
    ready = await driver.ready();
    if (!ready) {
      if (process.env.CI) throw new Error(`${driver.name}: its source system is not running`);
      console.warn(`\n*** SKIPPING the ${driver.name} conformance run: no source system ***\n`);
      return;
    }
    root = await mkdtemp(join(tmpdir(), `freshet-conformance-${driver.name}-`));
    log = await EmbeddedLog.open(join(root, 'log'));
    registry = await EmbeddedRegistry.open(join(root, 'registry'));
    checkpoint = join(root, 'position.json');
    await driver.setup(root, registry);
  }, 120_000);

  afterAll(async () => {
    if (!ready) return;
    await stop().catch(() => undefined);
    await driver.teardown().catch(() => undefined);
    await log.close();
    await rm(root, { recursive: true, force: true });
  });

  describe(`${driver.name} connector`, () => {
    it('1. delivers every record the system holds, once', async (ctx) => {
      if (!ready) return ctx.skip();
      await driver.write(0, 40);
      await start();
      const got = await until('records 0-39', 40);
      await stop();
      expect([...got.keys()].sort((a, b) => a - b)).toEqual(range(0, 40));
      for (const ids of got.values()) expect(ids).toHaveLength(1);
      await copyFile(checkpoint, `${checkpoint}.after-1`);
    });

    it('2. restarts from its position: what was written while stopped arrives, nothing twice', async (ctx) => {
      if (!ready) return ctx.skip();
      await driver.write(40, 40);
      await start();
      const got = await until('records 0-79', 80);
      await stop();
      expect([...got.keys()].sort((a, b) => a - b)).toEqual(range(0, 80));
      for (const ids of got.values()) expect(ids).toHaveLength(1);
    });

    it('3. delivered again from an older position, a record keeps its event id', async (ctx) => {
      if (!ready) return ctx.skip();
      const before = await delivered(log);
      await copyFile(`${checkpoint}.after-1`, checkpoint);
      await start();
      // Let it deliver whatever it will again, until the log stops growing.
      let total = -1;
      await waitFor(
        'the replay to settle',
        async () => {
          await new Promise((r) => setTimeout(r, 1500));
          const now = [...(await delivered(log)).values()].reduce((n, ids) => n + ids.length, 0);
          const settled = now === total;
          total = now;
          return settled ? true : undefined;
        },
        90_000,
      );
      await stop();
      const after = await delivered(log);
      expect([...after.keys()].sort((a, b) => a - b)).toEqual(range(0, 80));
      for (const [n, ids] of after) {
        expect(new Set(ids).size, `record ${n} arrived with ids ${ids.join(', ')}`).toBe(1);
        expect(ids[0]).toBe(before.get(n)![0]);
      }
    });

    it('4. sends a bad record to quarantine with the reason, and the records after it flow', async (ctx) => {
      if (!ready) return ctx.skip();
      const quarantinedBefore = (await readAll(log, QUARANTINE)).length;
      await driver.writeBad();
      await driver.write(80, 5);
      await start();
      const bad = await waitFor('a quarantined record', async () => {
        const q = await readAll(log, QUARANTINE);
        return q.length > quarantinedBefore ? q[q.length - 1] : undefined;
      });
      const got = await until('records 80-84 after the bad one', 85);
      await stop();
      expect(bad!.headers['freshet.error']?.length ?? 0).toBeGreaterThan(0);
      expect([...got.keys()].sort((a, b) => a - b)).toEqual(range(0, 85));
    });

    it.skipIf(!driver.restartSystem)(
      '5. goes on after its source system restarts mid-stream, losing nothing',
      async (ctx) => {
        if (!ready) return ctx.skip();
        await start();
        await driver.write(85, 5);
        await until('records 85-89', 90);
        await driver.restartSystem!();
        await driver.write(90, 5);
        const got = await until('records 90-94 after the restart', 95);
        await stop();
        expect([...got.keys()].sort((a, b) => a - b)).toEqual(range(0, 95));
        for (const ids of got.values()) expect(new Set(ids).size).toBe(1);
      },
    );
  });
}

// PostgreSQL: logical replication (pgoutput). Bad record: a bigint beyond 2^53, which a JSON
// number cannot carry exactly.
let pgAdmin: pg.Client;
let pgDb: pg.Client;
conformance({
  name: 'postgres',
  ready: () => reachable(PG_PORT),
  async setup() {
    const base = { host: '127.0.0.1', port: PG_PORT, user: 'freshet' };
    pgAdmin = new pg.Client({ ...base, database: 'postgres' });
    pgAdmin.on('error', () => undefined);
    await pgAdmin.connect();
    await pgAdmin.query(`DROP DATABASE IF EXISTS ${DB}`);
    await pgAdmin.query(`CREATE DATABASE ${DB}`);
    pgDb = new pg.Client({ ...base, database: DB });
    pgDb.on('error', () => undefined);
    await pgDb.connect();
    await pgDb.query('CREATE TABLE items (n int PRIMARY KEY, label text, big bigint)');
  },
  async write(from, count) {
    await pgDb.query(
      `INSERT INTO items SELECT g, 'item ' || g, g FROM generate_series($1::int, $2::int) g`,
      [from, from + count - 1],
    );
  },
  async writeBad() {
    await pgDb.query("INSERT INTO items VALUES (100000, 'bad', 9007199254740993)");
  },
  source: (log, registry, checkpointPath) =>
    new PostgresCdcSource({
      name: 'conf-pg',
      connection: { host: '127.0.0.1', port: PG_PORT, user: 'freshet', database: DB },
      topicPrefix: 'conf',
      tables: ['public.items'],
      slot: `freshet_conf_${process.pid}`,
      publication: `freshet_conf_${process.pid}`,
      log,
      registry,
      checkpointPath,
      heartbeatIntervalMs: 500,
      reconnectDelayMs: 200,
    }),
  async teardown() {
    await pgDb.end();
    await pgAdmin.query(
      `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'freshet_conf_${process.pid}'`,
    );
    await pgAdmin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await pgAdmin.end();
  },
});

// MariaDB / MySQL: row-based binlog. Bad record: a BIGINT UNSIGNED beyond 2^53.
let maria: mysql.Connection;
conformance({
  name: 'mysql',
  ready: () => reachable(MARIADB_PORT),
  async setup() {
    maria = await mysql.createConnection({
      host: '127.0.0.1',
      port: MARIADB_PORT,
      user: 'freshet_admin',
      password: 'freshet',
    });
    await maria.query(`DROP DATABASE IF EXISTS ${DB}`);
    await maria.query(`CREATE DATABASE ${DB}`);
    await maria.query(
      `CREATE TABLE ${DB}.items (n INT PRIMARY KEY, label TEXT, big BIGINT UNSIGNED)`,
    );
  },
  async write(from, count) {
    const rows = range(from, from + count).map((n) => `(${n}, 'item ${n}', ${n})`);
    await maria.query(`INSERT INTO ${DB}.items VALUES ${rows.join(',')}`);
  },
  async writeBad() {
    await maria.query(`INSERT INTO ${DB}.items VALUES (100000, 'bad', 18446744073709551615)`);
  },
  source: (log, registry, checkpointPath) =>
    new MysqlCdcSource({
      name: 'conf-mysql',
      connection: { host: '127.0.0.1', port: MARIADB_PORT, user: 'freshet', password: 'freshet' },
      topicPrefix: 'conf',
      tables: [`${DB}.items`],
      log,
      registry,
      checkpointPath,
      heartbeatIntervalMs: 500,
      reconnectDelayMs: 200,
    }),
  async teardown() {
    await maria.query(`DROP DATABASE IF EXISTS ${DB}`);
    await maria.end();
  },
});

// Kafka: an existing topic another system fills. Bad record: bytes that are not JSON.
const external = `freshet-conf-${process.pid}.items`;
let kafka: KafkaLog;
conformance({
  name: 'kafka',
  ready: () => reachable(KAFKA_PORT),
  async setup() {
    kafka = await KafkaLog.open({ brokers: [`127.0.0.1:${KAFKA_PORT}`] });
    await kafka.createTopic(external, { partitions: 2 });
  },
  async write(from, count) {
    await kafka.append(
      external,
      range(from, from + count).map((n) => ({
        key: `k${n}`,
        value: Buffer.from(JSON.stringify({ n, label: `item ${n}` })),
      })),
    );
  },
  async writeBad() {
    await kafka.append(external, [{ key: 'bad', value: Buffer.from([0xff, 0x00, 0x7b]) }]);
  },
  source: (log, registry, checkpointPath) =>
    new KafkaTopicSource({
      name: 'conf-kafka',
      brokers: [`127.0.0.1:${KAFKA_PORT}`],
      topics: [external],
      groupId: `freshet-conf-${process.pid}`,
      format: 'json',
      log,
      registry,
      checkpointPath,
      pollWaitMs: 100,
    }),
  teardown: () => kafka.close(),
});

// Files: CSV drops in a folder, one file per write. Bad record: a line whose n is not a number.
let drops: string;
const fileSchema = {
  type: 'object',
  required: ['n', 'label'],
  properties: { n: { type: 'integer' }, label: { type: 'string' } },
};
conformance({
  name: 'files',
  ready: async () => true,
  async setup(root) {
    drops = join(root, 'drops');
    await mkdir(drops);
  },
  async write(from, count) {
    const lines = range(from, from + count).map((n) => `${n},item ${n}`);
    await writeFile(
      join(drops, `batch-${String(from).padStart(6, '0')}.csv`),
      `n,label\n${lines.join('\n')}\n`,
    );
  },
  async writeBad() {
    await writeFile(join(drops, 'batch-bad.csv'), 'n,label\nlots,bad\n');
  },
  source: (log, registry, checkpointPath) =>
    new FileDropSource({
      name: 'conf-files',
      location: drops,
      topic: 'conf.files',
      format: 'csv',
      schema: fileSchema,
      pollIntervalMs: 100,
      log,
      registry,
      metrics: new Metrics(),
      checkpointPath,
    }),
  teardown: async () => undefined,
});

// A paged HTTP API polled with a cursor. Bad record: one whose n is not a number. Restart: the
// API's server closes and listens again on its port.
let feed: Array<{ n: unknown; label: string }> = [];
let api: Server;
let apiPort = 0;
const listen = () =>
  new Promise<void>((resolve) => {
    api = createServer((req, res) => {
      const after = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('after') ?? 0);
      const items = feed.slice(after, after + 10);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ items, next: String(after + items.length) }));
    });
    api.listen(apiPort, '127.0.0.1', () => {
      apiPort = (api.address() as AddressInfo).port;
      resolve();
    });
  });
const closeApi = () =>
  new Promise<void>((resolve) => {
    api.closeAllConnections();
    api.close(() => resolve());
  });
conformance({
  name: 'http-pull',
  ready: async () => true,
  async setup(_root, registry) {
    await registry.register('conf.pull-value', {
      schemaType: 'JSON',
      schema: JSON.stringify(fileSchema),
    });
    await listen();
  },
  async write(from, count) {
    for (const n of range(from, from + count)) feed.push({ n, label: `item ${n}` });
  },
  async writeBad() {
    feed.push({ n: 'lots', label: 'bad' });
  },
  source: (log, registry, checkpointPath) =>
    new HttpPullSource({
      name: 'conf-pull',
      url: `http://127.0.0.1:${apiPort}/items`,
      topic: 'conf.pull',
      cursorParam: 'after',
      recordsPath: 'items',
      nextCursorPath: 'next',
      pollIntervalMs: 50,
      backoffInitialMs: 20,
      backoffMaxMs: 200,
      log,
      registry,
      metrics: new Metrics(),
      checkpointPath,
    }),
  async restartSystem() {
    await closeApi();
    await new Promise((r) => setTimeout(r, 500));
    await listen();
  },
  async teardown() {
    feed = [];
    await closeApi();
  },
});
