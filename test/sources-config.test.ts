import { execFile } from 'node:child_process';
import net from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { KafkaLog } from '../src/log/index.js';
import { afterAll, describe, expect, it } from 'vitest';
import { FRESHET_BIN, PlatformProcess, waitFor } from './helpers/platform-process.js';

/**
 * `freshet up --config freshet.yaml` with sources beside (here instead of) the simulator: a
 * PostgreSQL table captured by CDC and an HTTP push source with its token from the environment.
 * Both land in bronze; `freshet sources` lists them with their state. Needs the PostgreSQL of
 * `scripts/services start`; without it the test skips loudly (fails in CI).
 */
const run = promisify(execFile);
const PG_PORT = Number(process.env.FRESHET_TEST_PG_PORT ?? 5433);
const DB = `freshet_cfg_${process.pid}`;
const TOKEN = 'logistics-token-0123456789abcdef';

const MARIADB_PORT = Number(process.env.FRESHET_TEST_MARIADB_PORT ?? 3307);

function reachable(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('timeout', () => (socket.destroy(), done(false)));
    socket.once('error', () => done(false));
  });
}
const KAFKA_PORT = Number(process.env.FRESHET_TEST_KAFKA_PORT ?? 9092);
const up =
  (await reachable(PG_PORT)) && (await reachable(MARIADB_PORT)) && (await reachable(KAFKA_PORT));
if (!up && !process.env.CI) {
  console.warn(
    `\n*** SKIPPING the configured-sources test: it needs PostgreSQL at 127.0.0.1:${PG_PORT}, MariaDB at 127.0.0.1:${MARIADB_PORT} and Kafka at 127.0.0.1:${KAFKA_PORT} (scripts/services start) ***\n`,
  );
}

const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

/**
 * A connection to the server's `postgres` database with `database` dropped (it is created by the
 * test when it wants it); after the tests its slots and the database go.
 */
async function pgAdmin(database: string): Promise<pg.Client> {
  const admin = new pg.Client({
    host: '127.0.0.1',
    port: PG_PORT,
    user: 'freshet',
    database: 'postgres',
  });
  admin.on('error', () => undefined);
  await admin.connect();
  cleanup.push(async () => {
    await admin.query(
      `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '${database}'`,
    );
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.end();
  });
  await admin.query(`DROP DATABASE IF EXISTS ${database}`);
  return admin;
}

async function sql<T>(url: string, query: string): Promise<T[]> {
  const res = await fetch(`${url}/api/sql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ sql: query }),
  });
  const body = (await res.json()) as { rows?: T[]; error?: string };
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body.rows ?? [];
}

describe('freshet up --config with declared sources', () => {
  it('refuses a configuration with mistakes, naming file, line and key, before starting', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'freshet-cfg-bad-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'freshet.yaml');
    await writeFile(file, 'sources:\n  - name: erp\n    type: postgres\n    tabels: [public.x]\n');
    const err = await run(process.execPath, [
      FRESHET_BIN,
      'up',
      '--config',
      file,
      '--data-dir',
      join(dir, 'data'),
    ]).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/freshet\.yaml:4:5: sources\[0\]\.tabels: is not a setting/);
    expect(err?.stderr).toMatch(/freshet\.yaml:2:\d+: sources\[0\]: is missing connection/);
  });

  it.skipIf(!up && !process.env.CI)(
    'keeps running when a source cannot start, shows it failed, and starts it once its database is there',
    async () => {
      const late = `freshet_cfg_late_${process.pid}`;
      const admin = await pgAdmin(late);
      const dir = await mkdtemp(join(tmpdir(), 'freshet-cfg-late-'));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      const config = join(dir, 'freshet.yaml');
      await writeFile(
        config,
        `simulator:
  enabled: false
sources:
  - name: late-db
    type: postgres
    connection: { host: 127.0.0.1, port: ${PG_PORT}, user: freshet, database: ${late} }
    topic_prefix: late
    tables: [public.orders]
    slot: freshet_late_${process.pid}
`,
      );
      const p = await PlatformProcess.start(join(dir, 'data'), ['--config', config]);
      cleanup.push(() => p.interrupt());
      const failed = await waitFor('the source to show as failed', async () => {
        const res = await fetch(`${p.url}/api/health`);
        const h = (await res.json()) as {
          alerts: string[];
          sources: Array<{ name: string; state: string; lastError: string | null }>;
        };
        return h.alerts.length > 0 ? h : undefined;
      });
      expect(failed.sources[0]).toMatchObject({ name: 'late-db', state: 'failed' });
      expect(failed.sources[0]!.lastError).toMatch(new RegExp(late));
      expect(failed.alerts[0]).toMatch(/late-db has failed/);

      // The database appears; the next retry starts the source and its rows flow.
      await admin.query(`CREATE DATABASE ${late}`);
      const db = new pg.Client({
        host: '127.0.0.1',
        port: PG_PORT,
        user: 'freshet',
        database: late,
      });
      db.on('error', () => undefined);
      await db.connect();
      cleanup.push(() => db.end());
      await db.query('CREATE TABLE orders (id int PRIMARY KEY, qty int)');
      await db.query('INSERT INTO orders SELECT i, i FROM generate_series(1, 25) i');
      await waitFor(
        'the late source to deliver',
        async () => {
          const rows = await sql<{ n: number }>(
            p.url,
            "SELECT count(*)::INT AS n FROM bronze.late_public_orders WHERE payload <> ''",
          ).catch(() => []);
          return rows[0]?.n === 25 ? true : undefined;
        },
        60_000,
      );
      const after = (await (await fetch(`${p.url}/api/sources`)).json()) as {
        sources: Array<{ state: string; lastError: string | null }>;
      };
      expect(after.sources[0]!.state).toBe('running');
      expect(await p.interrupt()).toBe(0);
    },
    120_000,
  );

  it.skipIf(!up && !process.env.CI)(
    'captures PostgreSQL and MariaDB tables, a Kafka topic, a dropped CSV and HTTP pushes into bronze, and lists them',
    async () => {
      const admin = await pgAdmin(DB);
      await admin.query(`CREATE DATABASE ${DB}`);
      const db = new pg.Client({ host: '127.0.0.1', port: PG_PORT, user: 'freshet', database: DB });
      db.on('error', () => undefined);
      await db.connect();
      cleanup.push(() => db.end());
      await db.query('CREATE TABLE orders (id int PRIMARY KEY, store_id text NOT NULL, qty int)');
      await db.query(
        "INSERT INTO orders SELECT i, 'S' || (i % 7), i FROM generate_series(1, 100) AS i",
      );

      const maria = await mysql.createConnection({
        host: '127.0.0.1',
        port: MARIADB_PORT,
        user: 'freshet_admin',
        password: 'freshet',
      });
      cleanup.push(async () => {
        await maria.query(`DROP DATABASE IF EXISTS ${DB}`);
        await maria.end();
      });
      await maria.query(`DROP DATABASE IF EXISTS ${DB}`);
      await maria.query(`CREATE DATABASE ${DB}`);
      await maria.query(
        `CREATE TABLE ${DB}.items (sku VARCHAR(20) PRIMARY KEY, price DECIMAL(10,2))`,
      );
      await maria.query(
        `INSERT INTO ${DB}.items VALUES ${Array.from({ length: 30 }, (_, i) => `('SKU${i}', ${i}.50)`).join(',')}`,
      );

      // A topic another system fills on an existing Kafka cluster.
      const external = `freshet-ext-${process.pid}.orders`;
      const producer = await KafkaLog.open({ brokers: [`127.0.0.1:${KAFKA_PORT}`] });
      cleanup.push(() => producer.close());
      await producer.createTopic(external, { partitions: 2 });
      await producer.append(
        external,
        Array.from({ length: 20 }, (_, i) => ({
          key: `o${i}`,
          value: Buffer.from(JSON.stringify({ order: i, total: i * 10 })),
        })),
      );

      const dir = await mkdtemp(join(tmpdir(), 'freshet-cfg-'));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      const config = join(dir, 'freshet.yaml');
      // An ERP export dropped in a folder, with one bad line (quarantined with its line number).
      await mkdir(join(dir, 'drops'));
      await writeFile(
        join(dir, 'drops', 'stock.csv'),
        'sku,qty\n' +
          Array.from({ length: 10 }, (_, i) => `SKU${i},${i}`).join('\n') +
          '\nSKU10,lots\n',
      );
      await writeFile(
        config,
        `simulator:
  enabled: false
sources:
  - name: erp-db
    type: postgres
    connection: { host: 127.0.0.1, port: ${PG_PORT}, user: freshet, database: ${DB} }
    topic_prefix: erp
    tables: [public.orders]
    slot: freshet_cfg_${process.pid}
  - name: store-db
    type: mysql
    connection: { host: 127.0.0.1, port: ${MARIADB_PORT}, user: freshet, password: "\${env:MARIADB_PASSWORD}" }
    topic_prefix: shop
    tables: [${DB}.items]
  - name: erp-exports
    type: files
    location: ./drops
    topic: erp.stock
    format: csv
    poll_interval_ms: 200
    schema:
      type: object
      required: [sku, qty]
      properties: { sku: { type: string }, qty: { type: integer } }
  - name: partner-orders
    type: kafka
    brokers: ["127.0.0.1:${KAFKA_PORT}"]
    topics: [${external}]
    format: json
    target_prefix: "mirror."
  - name: logistics
    type: http
    token: \${env:LOGISTICS_TOKEN}
    topics: ["logistics.*"]
`,
      );
      const dataDir = join(dir, 'data');
      const p = await PlatformProcess.start(dataDir, ['--config', config], 60_000, {
        LOGISTICS_TOKEN: TOKEN,
        MARIADB_PASSWORD: 'freshet',
      });
      cleanup.push(() => p.interrupt());
      expect(p.log).not.toContain(TOKEN);

      // The push topic's schema, registered through the platform's Confluent-compatible registry.
      const reg = await fetch(`${p.url}/registry/subjects/logistics.pings-value/versions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify({
          schemaType: 'JSON',
          schema: JSON.stringify({
            type: 'object',
            required: ['truck', 'km'],
            properties: { truck: { type: 'string' }, km: { type: 'number' } },
          }),
        }),
      });
      expect(reg.status).toBe(200);
      const body = Array.from({ length: 50 }, (_, i) =>
        JSON.stringify({ truck: `T${i % 5}`, km: i }),
      );
      const push = await fetch(`${p.url}/ingest/logistics/logistics.pings`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${TOKEN}`,
          'Content-Type': 'application/x-ndjson',
          'Idempotency-Key': 'batch-1',
        },
        body: body.join('\n'),
      });
      expect(push.status).toBe(200);
      const denied = await fetch(`${p.url}/ingest/logistics/logistics.pings`, {
        method: 'POST',
        headers: {
          Authorization: 'Bearer wrong-token-wrong-token',
          'Content-Type': 'application/x-ndjson',
        },
        body: body[0],
      });
      expect(denied.status).toBe(401);
      const outOfScope = await fetch(`${p.url}/ingest/logistics/erp.prices`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/x-ndjson' },
        body: body[0],
      });
      expect(outOfScope.status).toBe(403);

      // Changes while the platform runs are streamed after the snapshot.
      await db.query('UPDATE orders SET qty = qty + 1000 WHERE id <= 20');
      await db.query('DELETE FROM orders WHERE id = 100');
      await maria.query(`UPDATE ${DB}.items SET price = price * 2 WHERE sku = 'SKU3'`);

      const counts = await waitFor(
        'the table and the pushes in bronze',
        async () => {
          const [o] = await sql<{ n: number; r: number; u: number; d: number }>(
            p.url,
            `SELECT count(*)::INT AS n,
               count(*) FILTER (WHERE payload::JSON->>'op' = 'r')::INT AS r,
               count(*) FILTER (WHERE payload::JSON->>'op' = 'u')::INT AS u,
               count(*) FILTER (WHERE payload::JSON->>'op' = 'd')::INT AS d
             FROM bronze.erp_public_orders WHERE payload <> ''`,
          );
          const [l] = await sql<{ n: number }>(
            p.url,
            'SELECT count(*)::INT AS n FROM bronze.logistics_pings',
          );
          const [m] = await sql<{ r: number; u: number }>(
            p.url,
            `SELECT count(*) FILTER (WHERE payload::JSON->>'op' = 'r')::INT AS r,
               count(*) FILTER (WHERE payload::JSON->>'op' = 'u')::INT AS u
             FROM bronze.shop_${DB}_items WHERE payload <> ''`,
          ).catch(() => [undefined]);
          const [f] = await sql<{ n: number; q: number }>(
            p.url,
            `SELECT count(*)::INT AS n, sum((payload::JSON->>'qty')::INT)::INT AS q FROM bronze.erp_stock`,
          ).catch(() => [undefined]);
          const [k] = await sql<{ n: number }>(
            p.url,
            `SELECT count(*)::INT AS n FROM bronze.mirror_freshet_ext_${process.pid}_orders`,
          ).catch(() => [undefined]);
          const done =
            o && l && m && f && o.r === 100 && o.u === 20 && o.d === 1 && l.n === 50 && f.n === 10;
          return done && m.r === 30 && m.u === 1 && k?.n === 20 ? { o, l, m } : undefined;
        },
        90_000,
      );
      expect(counts.l.n).toBe(50);
      const [bad] = await sql<{ n: number }>(
        p.url,
        `SELECT count(*)::INT AS n FROM bronze.freshet_quarantine
         WHERE _headers LIKE '%stock.csv%' AND _headers LIKE '%qty%'`,
      );
      expect(bad?.n).toBe(1);

      const { stdout } = await run(process.execPath, [
        FRESHET_BIN,
        'sources',
        '--data-dir',
        dataDir,
        '--config',
        config,
        '--json',
      ]);
      const listed = JSON.parse(stdout) as {
        running: boolean;
        sources: Array<{ name: string; type: string; state: string; accepted: number | null }>;
      };
      expect(listed.running).toBe(true);
      expect(listed.sources.find((s) => s.name === 'erp-db')).toMatchObject({
        type: 'postgres',
        state: 'running',
      });
      expect(listed.sources.find((s) => s.name === 'erp-db')!.accepted).toBeGreaterThanOrEqual(121);
      expect(listed.sources.find((s) => s.name === 'store-db')).toMatchObject({
        type: 'mysql',
        state: 'running',
      });
      expect(listed.sources.find((s) => s.name === 'erp-exports')).toMatchObject({
        type: 'files',
        accepted: 10,
      });
      expect(listed.sources.find((s) => s.name === 'partner-orders')).toMatchObject({
        type: 'kafka',
        accepted: 20,
      });
      // The push source: 50 events taken, one request refused (a topic outside its scope).
      expect(listed.sources.find((s) => s.name === 'logistics')).toMatchObject({
        type: 'http',
        state: 'running',
        accepted: 50,
        rejected: 1,
        last_error: expect.stringMatching(/^403 forbidden/),
      });
      expect(stdout).not.toContain(TOKEN);
      expect(await p.interrupt()).toBe(0);
    },
    180_000,
  );
});
