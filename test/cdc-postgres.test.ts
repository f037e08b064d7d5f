import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedLog, type StoredRecord } from '../src/log/index.js';
import { EmbeddedRegistry } from '../src/registry/index.js';
import {
  PG_QUARANTINE_TOPIC,
  PostgresCdcSource,
  UNAVAILABLE_VALUE,
  type PostgresCdcSourceOptions,
} from '../src/sources/index.js';
import type { ChangeEvent } from '../src/sources/postgres/index.js';

/**
 * The PostgreSQL CDC source against a real PostgreSQL with wal_level=logical, started by
 * `scripts/services start` on $FRESHET_TEST_PG_PORT (default 5433) with the trusted role
 * `freshet`. Skips loudly outside CI when none answers; fails in CI.
 */
const PORT = Number(process.env.FRESHET_TEST_PG_PORT ?? 5433);
const BASE = { host: '127.0.0.1', port: PORT, user: 'freshet' };
/** The services script's cluster (it writes where it put it), for the server-restart test. */
const PG_ROOT_FILE = resolve('.tmp/services/postgres.root');
const PG_ROOT = existsSync(PG_ROOT_FILE) ? readFileSync(PG_ROOT_FILE, 'utf8').trim() : null;

function parseLsnText(text: string): number {
  const [hi, lo] = text.split('/').map((h) => parseInt(h, 16));
  return hi! * 2 ** 32 + lo!;
}

/** A test's own connection; a server restart ends it, which must not crash the run. */
function client(database: string): pg.Client {
  const c = new pg.Client({ ...BASE, database });
  c.on('error', () => undefined);
  return c;
}

function serverUp(): Promise<boolean> {
  return new Promise((done) => {
    const socket = net.connect({ host: '127.0.0.1', port: PORT });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('timeout', () => (socket.destroy(), done(false)));
    socket.once('error', () => done(false));
  });
}

const up = await serverUp();
if (!up && !process.env.CI) {
  console.warn(
    `\n*** SKIPPING the PostgreSQL CDC tests: no PostgreSQL at 127.0.0.1:${PORT} (scripts/services start) ***\n`,
  );
}

const DB = `freshet_cdc_${process.pid}`;
let admin: pg.Client;
let db: pg.Client;
let dir: string;
const slots: string[] = [];

async function readAll(log: EmbeddedLog, topic: string): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  const topics = await log.topics();
  const info = topics.find((t) => t.name === topic);
  if (!info) return out;
  for (let p = 0; p < info.partitions; p++) {
    let offset = await log.startOffset(topic, p);
    for (;;) {
      const batch = await log.read(topic, p, offset, { maxRecords: 10_000 });
      if (batch.length === 0) break;
      out.push(...batch);
      offset = batch[batch.length - 1]!.offset + 1;
    }
  }
  return out;
}

function events(records: StoredRecord[]): Array<ChangeEvent & { id: string; key: string | null }> {
  return records
    .filter((r) => r.value.length > 0)
    .map((r) => ({
      ...(JSON.parse(r.value.toString()) as ChangeEvent),
      id: r.headers['freshet.event-id']!,
      key: r.key,
    }));
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  ms = 30_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Rig {
  log: EmbeddedLog;
  registry: EmbeddedRegistry;
  opts: PostgresCdcSourceOptions;
  source: PostgresCdcSource;
}

let rigN = 0;
async function rig(tables: string[], extra: Partial<PostgresCdcSourceOptions> = {}): Promise<Rig> {
  const n = ++rigN;
  const root = join(dir, `rig${n}`);
  const log = await EmbeddedLog.open(join(root, 'log'));
  const registry = await EmbeddedRegistry.open(join(root, 'registry'));
  const slot = `freshet_test_${process.pid}_${n}`;
  slots.push(slot);
  const opts: PostgresCdcSourceOptions = {
    connection: { ...BASE, database: DB },
    topicPrefix: 'shop',
    tables,
    slot,
    publication: `pub_${n}`,
    log,
    registry,
    checkpointPath: join(root, 'pg-checkpoint.json'),
    heartbeatIntervalMs: 500,
    reconnectDelayMs: 200,
    ...extra,
  };
  return { log, registry, opts, source: new PostgresCdcSource(opts) };
}

/** Waits until the source has confirmed the server's current WAL position (all caught up). */
async function caughtUp(source: PostgresCdcSource): Promise<void> {
  const target = (await db.query<{ lsn: string }>(`SELECT pg_current_wal_lsn()::text AS lsn`))
    .rows[0]!.lsn;
  const [hi, lo] = target.split('/').map((h) => parseInt(h, 16));
  const want = hi! * 2 ** 32 + lo!;
  await waitFor(`the source to confirm ${target}`, async () => source.status().position >= want);
}

describe.skipIf(!up && !process.env.CI)('PostgreSQL CDC source', () => {
  beforeAll(async () => {
    // Assigned once connected: afterAll must not wait on a client that never connected (CI with
    // no server fails here, at once).
    const a = client('postgres');
    await a.connect();
    admin = a;
    await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
    await admin.query(`CREATE DATABASE ${DB}`);
    const d = client(DB);
    await d.connect();
    db = d;
    dir = await mkdtemp(join(tmpdir(), 'freshet-cdc-pg-'));
  });

  afterAll(async () => {
    await db?.end().catch(() => undefined);
    // A failed test may leave a source streaming: end its connection so its slot can go.
    await admin
      ?.query(
        `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = ANY($1) AND active`,
        [slots],
      )
      .catch(() => undefined);
    for (const s of slots) {
      await admin
        ?.query(
          `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`,
          [s],
        )
        .catch(() => undefined);
    }
    await admin?.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`).catch(() => undefined);
    await admin?.end().catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('snapshots existing rows, then streams inserts, updates, deletes and truncates in Debezium envelopes', async () => {
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY, sku text NOT NULL, qty int, price numeric(10,2),
      placed date, at timestamptz, note text)`);
    await db.query(`INSERT INTO orders VALUES (1, 'A', 2, 9.50, '2024-01-31', '2024-01-31 10:00:00+05:30', null),
      (2, 'B', 1, 100.00, '2024-02-01', '2024-02-01 00:00:00+00', 'x')`);
    const r = await rig(['public.orders']);
    await r.source.start();
    await db.query(`INSERT INTO orders VALUES (3, 'C', 5, 1.25, null, null, null)`);
    await db.query(
      `BEGIN; UPDATE orders SET qty = 7 WHERE id = 1; DELETE FROM orders WHERE id = 2; COMMIT`,
    );
    await db.query(`UPDATE orders SET id = 4 WHERE id = 3`);
    await db.query(`TRUNCATE orders`);
    await caughtUp(r.source);
    await r.source.stop();

    const recs = await readAll(r.log, 'shop.public.orders');
    const evs = events(recs);
    expect(evs.map((e) => e.op)).toEqual(['r', 'r', 'c', 'u', 'd', 'd', 'c', 't']);
    // A changed primary key: delete under the old key, create under the new (as Debezium).
    expect(evs[5]).toMatchObject({ key: '{"id":3}', before: { id: 3 }, after: null });
    expect(evs[6]).toMatchObject({ key: '{"id":4}', before: null, after: { id: 4, sku: 'C' } });
    expect(evs[5]!.transaction!.id).toBe(evs[6]!.transaction!.id);
    const [s1, s2, c, u, d, , , t] = evs as unknown as ChangeEvent[] as [
      ChangeEvent,
      ChangeEvent,
      ChangeEvent,
      ChangeEvent,
      ChangeEvent,
      ChangeEvent,
      ChangeEvent,
      ChangeEvent,
    ];
    expect(s1.source.snapshot).toBe('true');
    expect(s2.source.snapshot).toBe('last');
    expect(s1.before).toBeNull();
    expect(s1.after).toEqual({
      id: 1,
      sku: 'A',
      qty: 2,
      price: '9.50',
      placed: 19753,
      at: '2024-01-31T04:30:00.000000Z',
      note: null,
    });
    expect(s1.transaction).toBeNull();
    expect(c.source).toMatchObject({
      connector: 'postgresql',
      name: 'shop',
      snapshot: 'false',
      db: DB,
      schema: 'public',
      table: 'orders',
      xmin: null,
    });
    expect(typeof c.source.txId).toBe('number');
    expect(typeof c.source.lsn).toBe('number');
    expect(typeof c.source.ts_ms).toBe('number');
    expect(JSON.parse(c.source.sequence!)).toHaveLength(2);
    expect(c.after).toMatchObject({ id: 3, sku: 'C', qty: 5, price: '1.25' });
    expect(c.transaction).toMatchObject({ total_order: 1, data_collection_order: 1 });
    expect(c.transaction!.id).toMatch(/^\d+:\d+$/);
    // Default replica identity: no old row for an update that keeps the key.
    expect(u.before).toBeNull();
    expect(u.after).toMatchObject({ id: 1, qty: 7 });
    expect(u.transaction).toMatchObject({ total_order: 1 });
    expect(d.transaction).toMatchObject({ total_order: 2 });
    expect(u.transaction!.id).toBe(d.transaction!.id);
    expect(d.before).toMatchObject({ id: 2 });
    expect(d.after).toBeNull();
    expect(t.before).toBeNull();
    expect(t.after).toBeNull();
    // The delete's tombstone follows it: same key, empty value.
    const di = recs.findIndex(
      (x) => x.headers['freshet.event-id'] === (evs[4] as { id: string }).id,
    );
    expect(recs[di + 1]!.value.length).toBe(0);
    expect(recs[di + 1]!.key).toBe('{"id":2}');
    expect(recs[di + 1]!.headers['freshet.tombstone']).toBe('true');
    // Keys are the primary key; every record carries an id and the registered schema id.
    expect(recs[0]!.key).toBe('{"id":1}');
    for (const x of recs) expect(x.headers['freshet.event-id']).toMatch(/^pg:/);
    const latest = await r.registry.latest('shop.public.orders-value');
    expect(recs[0]!.headers['freshet.schema-id']).toBe(String(latest!.id));
    // Transaction metadata topic: BEGIN and END around the update+delete transaction.
    const txns = (await readAll(r.log, 'shop.transaction')).map((x) =>
      JSON.parse(x.value.toString()),
    );
    const end = txns.find((x) => x.status === 'END' && x.id === u.transaction!.id);
    expect(end).toMatchObject({
      event_count: 2,
      data_collections: [{ data_collection: 'public.orders', event_count: 2 }],
    });
    await r.log.close();
  });

  it('carries the old row under REPLICA IDENTITY FULL and never turns an unchanged TOASTed value into null', async () => {
    await db.query(`CREATE TABLE docs (id int PRIMARY KEY, title text, body text)`);
    const big = Array.from({ length: 20_000 }, (_, i) =>
      String.fromCharCode(97 + ((i * 7919) % 26)),
    ).join('');
    await db.query(`ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL`);
    await db.query(`INSERT INTO docs VALUES (1, 'a', $1)`, [big]);
    const r = await rig(['public.docs']);
    await r.source.start();
    await db.query(`UPDATE docs SET title = 'b' WHERE id = 1`);
    await db.query(`ALTER TABLE docs REPLICA IDENTITY FULL`);
    await db.query(`UPDATE docs SET title = 'c' WHERE id = 1`);
    await caughtUp(r.source);
    await r.source.stop();
    const evs = events(await readAll(r.log, 'shop.public.docs'));
    expect(evs.map((e) => e.op)).toEqual(['r', 'u', 'u']);
    expect(evs[0]!.after!.body).toBe(big);
    expect(evs[1]!.after).toEqual({ id: 1, title: 'b', body: UNAVAILABLE_VALUE });
    expect(evs[1]!.before).toBeNull();
    // FULL: the old row is sent whole (TOASTed values included), so nothing is unavailable.
    expect(evs[2]!.before).toEqual({ id: 1, title: 'b', body: big });
    expect(evs[2]!.after).toEqual({ id: 1, title: 'c', body: big });
    await r.log.close();
  });

  it('registers a new schema version when a column is added or retyped', async () => {
    await db.query(`CREATE TABLE items (id int PRIMARY KEY, qty int)`);
    const r = await rig(['public.items']);
    await r.source.start();
    await db.query(`INSERT INTO items VALUES (1, 1)`);
    await caughtUp(r.source);
    const subject = 'shop.public.items-value';
    expect(await r.registry.versions(subject)).toEqual([1]);
    await db.query(`ALTER TABLE items ADD COLUMN label text`);
    await db.query(`INSERT INTO items VALUES (2, 2, 'two')`);
    await caughtUp(r.source);
    expect(await r.registry.versions(subject)).toEqual([1, 2]);
    await db.query(`ALTER TABLE items ALTER COLUMN qty TYPE text`);
    await db.query(`INSERT INTO items VALUES (3, 'three', 'x')`);
    await caughtUp(r.source);
    await r.source.stop();
    expect(await r.registry.versions(subject)).toEqual([1, 2, 3]);
    const v3 = JSON.parse((await r.registry.getVersion(subject, 3)).schema);
    expect(v3.properties.after.properties.qty.type).toEqual(['string', 'null']);
    const recs = await readAll(r.log, 'shop.public.items');
    const ids = await Promise.all(
      [1, 2, 3].map(async (v) => (await r.registry.getVersion(subject, v)).id),
    );
    expect(recs.map((x) => x.headers['freshet.schema-id'])).toEqual(ids.map(String));
    expect(events(recs)[2]!.after).toEqual({ id: 3, qty: 'three', label: 'x' });
    await r.log.close();
  });

  it('sends rows it cannot convert to quarantine with the reason and keeps streaming', async () => {
    await db.query(`CREATE TABLE readings (id int PRIMARY KEY, v float8, big int8)`);
    await db.query(`INSERT INTO readings VALUES (1, 'NaN', 1)`);
    const r = await rig(['public.readings']);
    await r.source.start();
    await db.query(`INSERT INTO readings VALUES (2, 1.5, 9007199254740993)`);
    await db.query(`INSERT INTO readings VALUES (3, 2.5, 3)`);
    await caughtUp(r.source);
    await r.source.stop();
    const good = events(await readAll(r.log, 'shop.public.readings'));
    expect(good.map((e) => e.after!.id)).toEqual([3]);
    const bad = await readAll(r.log, PG_QUARANTINE_TOPIC);
    const mine = bad.filter((x) => x.headers['freshet.topic'] === 'shop.public.readings');
    expect(mine).toHaveLength(2);
    expect(mine[0]!.headers['freshet.error']).toMatch(/public\.readings\.v.*NaN.*not finite/);
    expect(mine[1]!.headers['freshet.error']).toMatch(
      /public\.readings\.big.*9007199254740993.*2\^53/,
    );
    expect(mine[0]!.headers['freshet.event-id']).toMatch(/:snapshot:/);
    expect(r.source.status().eventsRejected).toBe(2);
    await r.log.close();
  });

  it('captures each change exactly once while rows are written during the initial snapshot', async () => {
    await db.query(`CREATE TABLE stock (id int PRIMARY KEY, qty int NOT NULL)`);
    await db.query(`INSERT INTO stock SELECT g, 0 FROM generate_series(1, 20000) g`);
    const r = await rig(['public.stock'], { snapshotChunkSize: 250 });
    const writer = client(DB);
    await writer.connect();
    let writing = true;
    let nextId = 20_001;
    let duringSnapshot = 0;
    const writes = (async () => {
      while (writing) {
        const id = nextId++;
        const target = 1 + ((id * 7919) % 20_000);
        await writer.query(`BEGIN`);
        await writer.query(`INSERT INTO stock VALUES ($1, 1)`, [id]);
        await writer.query(`UPDATE stock SET qty = qty + 1 WHERE id = $1`, [target]);
        if (id % 5 === 0) await writer.query(`DELETE FROM stock WHERE id = $1`, [id - 3]);
        await writer.query(`COMMIT`);
        if (!r.source.status().snapshot.done) duringSnapshot++;
      }
    })();
    await new Promise((res) => setTimeout(res, 200));
    await r.source.start();
    await waitFor('the snapshot to finish', async () => r.source.status().snapshot.done, 120_000);
    writing = false;
    await writes;
    await writer.end();
    await caughtUp(r.source);
    await r.source.stop();
    expect(duringSnapshot).toBeGreaterThan(10);

    const evs = events(await readAll(r.log, 'shop.public.stock'));
    // No event twice.
    expect(new Set(evs.map((e) => e.id)).size).toBe(evs.length);
    // Replaying the events gives exactly the table.
    const state = new Map<number, number>();
    const creations = new Map<number, number>();
    for (const e of evs) {
      const row = (e.after ?? e.before)!;
      const id = row.id as number;
      if (e.op === 'd') state.delete(id);
      else state.set(id, e.after!.qty as number);
      if (e.op === 'r' || e.op === 'c') creations.set(id, (creations.get(id) ?? 0) + 1);
    }
    const table = await db.query<{ id: number; qty: number }>(
      `SELECT id, qty FROM stock ORDER BY id`,
    );
    expect(state.size).toBe(table.rows.length);
    for (const row of table.rows) expect(state.get(row.id)).toBe(row.qty);
    // Every row came into being once: in the snapshot or as an insert, never both.
    for (const [id, count] of creations)
      if (count !== 1) throw new Error(`row ${id} created ${count} times`);
    // Rows written before the slot's consistent point are in the snapshot, the rest are inserts.
    // (A row deleted before that point never shows, and needs not.)
    const deleted = new Set(evs.filter((e) => e.op === 'd').map((e) => e.before!.id as number));
    const present = new Set(table.rows.map((row) => row.id));
    for (let id = 20_001; id < nextId; id++) {
      const created = creations.get(id) ?? 0;
      expect(created, `row ${id}`).toBe(present.has(id) || deleted.has(id) ? 1 : 0);
    }
    expect(evs.filter((e) => e.op === 'c').length).toBeGreaterThan(10);
    await r.log.close();
  });

  it('restarts from its position with nothing lost and no id twice', async () => {
    await db.query(`CREATE TABLE moves (id int PRIMARY KEY, n int)`);
    await db.query(`INSERT INTO moves SELECT g, g FROM generate_series(1, 1000) g`);
    const r = await rig(['public.moves'], { snapshotChunkSize: 100 });
    await r.source.start();
    await db.query(`INSERT INTO moves SELECT g, g FROM generate_series(1001, 1500) g`);
    await caughtUp(r.source);
    await r.source.stop();
    // Written while the source is down: the slot keeps it.
    await db.query(`INSERT INTO moves SELECT g, g FROM generate_series(1501, 2000) g`);
    const again = new PostgresCdcSource(r.opts);
    await again.start();
    await db.query(`UPDATE moves SET n = -n WHERE id <= 10`);
    await caughtUp(again);
    await again.stop();
    const evs = events(await readAll(r.log, 'shop.public.moves'));
    expect(new Set(evs.map((e) => e.id)).size).toBe(evs.length);
    expect(evs.filter((e) => e.op === 'r')).toHaveLength(1000);
    expect(evs.filter((e) => e.op === 'c')).toHaveLength(1000);
    expect(evs.filter((e) => e.op === 'u')).toHaveLength(10);
    await r.log.close();
  });

  it('after a kill mid-stream, a new instance sends duplicates only with identical ids', async () => {
    await db.query(`CREATE TABLE sales (id int PRIMARY KEY, amount int)`);
    const r = await rig(['public.sales'], { maxBatchRecords: 1000 });
    // Dies right after its 3rd stream append is durable, before confirming it: the worst moment.
    const crashed = crashAfterAppends(r, 3, 'shop.public.sales');
    await r.source.start();
    await waitFor('the stream', async () => r.source.status().snapshot.done);
    for (let b = 0; b < 20; b++) {
      await db.query(
        `INSERT INTO sales SELECT g, g FROM generate_series(${b * 500 + 1}, ${(b + 1) * 500}) g`,
      );
    }
    await waitFor('the crash', async () => crashed.done);
    const again = new PostgresCdcSource(r.opts);
    await again.start();
    await caughtUp(again);
    await again.stop();
    const recs = (await readAll(r.log, 'shop.public.sales')).filter((x) => x.value.length > 0);
    const byId = new Map<string, string>();
    for (const x of recs) {
      const id = x.headers['freshet.event-id']!;
      const ev = JSON.parse(x.value.toString()) as ChangeEvent;
      const sig = JSON.stringify(ev.after);
      if (byId.has(id)) expect(byId.get(id)).toBe(sig);
      byId.set(id, sig);
    }
    // The batch appended before the crash came again, with the same ids.
    expect(recs.length).toBeGreaterThan(10_000);
    // Every row exactly once by id, whatever the duplicates.
    const rows = new Set([...recs].map((x) => x.key));
    expect(rows.size).toBe(10_000);
    expect(byId.size).toBe(10_000);
    await r.log.close();
  });

  it('resumes a snapshot killed mid-way from its last saved chunk, losing no row and no change', async () => {
    await db.query(`CREATE TABLE skus (id int PRIMARY KEY, qty int)`);
    await db.query(`INSERT INTO skus SELECT g, 0 FROM generate_series(1, 5000) g`);
    const r = await rig(['public.skus'], { snapshotChunkSize: 500 });
    const crashed = crashAfterAppends(r, 4, 'shop.public.skus');
    await r.source.start();
    await waitFor('the crash', async () => crashed.done);
    // Changed while the source is down: before and after the snapshot's saved cursor.
    await db.query(`UPDATE skus SET qty = 1 WHERE id IN (10, 4990)`);
    await db.query(`DELETE FROM skus WHERE id IN (11, 4991)`);
    const again = new PostgresCdcSource(r.opts);
    await again.start();
    await waitFor('the snapshot', async () => again.status().snapshot.done);
    await caughtUp(again);
    await again.stop();
    const recs = (await readAll(r.log, 'shop.public.skus')).filter((x) => x.value.length > 0);
    const snap = recs.filter((x) => x.headers['freshet.event-id']!.includes(':snapshot:'));
    // Chunks 1-3 were saved; chunk 4 was appended but not saved, so it comes again (same ids);
    // chunks 1-3 are not read again. Row 4991, past the cursor, was deleted before it was read.
    expect(snap.length).toBe(5000 + 500 - 1);
    const state = new Map<number, number>();
    for (const e of events(recs)) {
      const id = (e.after ?? e.before)!.id as number;
      if (e.op === 'd') state.delete(id);
      else state.set(id, e.after!.qty as number);
    }
    const table = await db.query<{ id: number; qty: number }>(`SELECT id, qty FROM skus`);
    expect(state.size).toBe(table.rows.length);
    for (const row of table.rows) expect(state.get(row.id), `row ${row.id}`).toBe(row.qty);
    await r.log.close();
  });

  it('appends a transaction larger than a batch in parts and confirms it only at its commit', async () => {
    await db.query(`CREATE TABLE bulk (id int PRIMARY KEY)`);
    const r = await rig(['public.bulk'], { maxBatchRecords: 1000 });
    // Dies right after the first part of the big transaction is durable.
    const crashed = crashAfterAppends(r, 1, 'shop.public.bulk');
    await r.source.start();
    await waitFor('the stream', async () => r.source.status().snapshot.done);
    await db.query(`INSERT INTO bulk SELECT g FROM generate_series(1, 5500) g`);
    await waitFor('the crash', async () => crashed.done);
    const first = events(await readAll(r.log, 'shop.public.bulk'));
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(5500);
    const commitLsn = parseLsnText(first[0]!.id.split(':')[2]!);
    const saved = JSON.parse(await readFile(r.opts.checkpointPath, 'utf8')) as {
      confirmedLsn: string | null;
      consistentPoint: string;
    };
    expect(parseLsnText(saved.confirmedLsn ?? saved.consistentPoint)).toBeLessThan(commitLsn);

    const again = new PostgresCdcSource(r.opts);
    await again.start();
    await caughtUp(again);
    await again.stop();
    const evs = events(await readAll(r.log, 'shop.public.bulk'));
    expect(evs.length).toBe(5500 + first.length);
    const byId = new Map(evs.map((e) => [e.id, e.transaction!.total_order]));
    expect(byId.size).toBe(5500);
    for (const e of first) expect(byId.get(e.id)).toBe(e.transaction!.total_order);
    expect(new Set(evs.map((e) => e.after!.id)).size).toBe(5500);
    await r.log.close();
  });

  it('stops cleanly in the middle of a snapshot and goes on from there', async () => {
    await db.query(`CREATE TABLE lines (id int PRIMARY KEY)`);
    await db.query(`INSERT INTO lines SELECT g FROM generate_series(1, 30000) g`);
    const r = await rig(['public.lines'], { snapshotChunkSize: 100 });
    await r.source.start();
    await waitFor('some chunks', async () => r.source.status().snapshot.rows >= 500);
    await r.source.stop();
    expect(r.source.status().snapshot.done).toBe(false);
    const again = new PostgresCdcSource(r.opts);
    await again.start();
    await waitFor('the snapshot', async () => again.status().snapshot.done, 120_000);
    await again.stop();
    const evs = events(await readAll(r.log, 'shop.public.lines'));
    // A clean stop saves after each durable chunk: nothing is read twice.
    expect(evs).toHaveLength(30_000);
    expect(new Set(evs.map((e) => e.id)).size).toBe(30_000);
    expect(evs[evs.length - 1]!.source.snapshot).toBe('last');
    await r.log.close();
  });

  it('refuses setups it cannot capture correctly, saying what to do', async () => {
    await db.query(`CREATE TABLE nokey (v int)`);
    const a = await rig(['public.nokey']);
    await expect(a.source.start()).rejects.toThrow(/public\.nokey has no primary key.*add one/);
    expect(a.source.status().state).toBe('failed');
    const b = await rig(['public.missing']);
    await expect(b.source.start()).rejects.toThrow(/public\.missing does not exist/);
    // A slot dropped behind the source's back: the changes since are gone; it must not pretend.
    await db.query(`CREATE TABLE gone (id int PRIMARY KEY)`);
    const c = await rig(['public.gone']);
    await c.source.start();
    await waitFor('the stream', async () => c.source.status().snapshot.done);
    await c.source.stop();
    await db.query(`SELECT pg_drop_replication_slot($1)`, [c.opts.slot]);
    await expect(new PostgresCdcSource(c.opts).start()).rejects.toThrow(
      /slot "freshet_test_\d+_\d+" is gone.*delete the checkpoint to snapshot again/,
    );
    for (const x of [a, b, c]) await x.log.close();
  });

  it('reconnects and continues when the server restarts mid-stream', async () => {
    await db.query(`CREATE TABLE pings (id int PRIMARY KEY)`);
    const r = await rig(['public.pings']);
    await r.source.start();
    await db.query(`INSERT INTO pings SELECT g FROM generate_series(1, 100) g`);
    await caughtUp(r.source);
    await restartServer();
    await db.end().catch(() => undefined);
    await admin.end().catch(() => undefined);
    db = await waitFor('the server back', async () => {
      const c = client(DB);
      try {
        await c.connect();
        return c;
      } catch {
        return false;
      }
    });
    admin = client('postgres');
    await admin.connect();
    await db.query(`INSERT INTO pings SELECT g FROM generate_series(101, 200) g`);
    await caughtUp(r.source);
    await r.source.stop();
    const evs = events(await readAll(r.log, 'shop.public.pings'));
    expect(new Set(evs.map((e) => e.after!.id)).size).toBe(200);
    expect(new Set(evs.map((e) => e.id)).size).toBe(evs.length);
    expect(r.source.status().lastError).not.toBeNull();
    await r.log.close();
  });

  it('heartbeats move the slot forward while the captured tables are idle', async () => {
    await db.query(`CREATE TABLE idle (id int PRIMARY KEY)`);
    await db.query(`CREATE TABLE busy (id serial PRIMARY KEY, pad text)`);
    const r = await rig(['public.idle']);
    await r.source.start();
    await waitFor('the stream', async () => r.source.status().snapshot.done);
    const before = r.source.status().position;
    await db.query(`INSERT INTO busy (pad) SELECT repeat('x', 1000) FROM generate_series(1, 2000)`);
    await caughtUp(r.source);
    expect(r.source.status().position).toBeGreaterThan(before);
    // The server applies a confirmation when it reads it: the slot's lag comes down shortly after.
    const lag = await waitFor('the slot lag to come down', async () => {
      const l = await r.source.refreshSlotLag();
      return l !== null && l < 1_000_000 ? { l } : false;
    });
    expect(lag.l).toBeLessThan(1_000_000);
    expect(r.source.status().slotLagBytes).toBe(lag.l);
    await r.source.stop();
    expect(events(await readAll(r.log, 'shop.public.idle'))).toHaveLength(0);
    await r.log.close();
  });
});

/**
 * Makes the rig's source die (kill(): no flush, no save, no confirm) right after its n-th append
 * to `topic` is durable, the moment that leaves the most in the log unconfirmed.
 */
function crashAfterAppends(r: Rig, n: number, topic: string): { done: boolean } {
  const state = { done: false };
  const log = r.opts.log;
  let appends = 0;
  const crashing: typeof log = Object.create(log);
  crashing.append = async (t, records) => {
    const result = await log.append(t, records);
    if (t === topic && ++appends === n) {
      await r.source.kill();
      state.done = true;
    }
    return result;
  };
  r.opts = { ...r.opts, log: crashing };
  r.source = new PostgresCdcSource(r.opts);
  r.opts = { ...r.opts, log };
  return state;
}

/**
 * Restarts PostgreSQL: with pg_ctl when the services script's cluster is here, else by ending
 * the replication connections (the nearest thing a test can do to a server it does not own).
 */
async function restartServer(): Promise<void> {
  if (PG_ROOT && existsSync(join(PG_ROOT, 'data', 'postmaster.pid'))) {
    const bin = execFileSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1'])
      .toString()
      .trim();
    const cmd = [
      `${bin}/pg_ctl`,
      '-D',
      join(PG_ROOT, 'data'),
      '-m',
      'fast',
      '-w',
      'restart',
      '-l',
      join(PG_ROOT, 'postgres.log'),
    ];
    const opts = { stdio: 'ignore' as const, cwd: '/' };
    if (process.getuid?.() === 0) execFileSync('runuser', ['-u', 'postgres', '--', ...cmd], opts);
    else execFileSync(cmd[0]!, cmd.slice(1), opts);
  } else {
    console.warn('no services-script cluster here: ending the walsenders instead of restarting');
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_replication`);
  }
}
