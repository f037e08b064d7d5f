import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedLog, type StoredRecord } from '../src/log/index.js';
import { EmbeddedRegistry } from '../src/registry/index.js';
import {
  MYSQL_QUARANTINE_TOPIC,
  MysqlCdcSource,
  MysqlSetupError,
  type MysqlCdcSourceOptions,
  type MysqlChangeEvent,
} from '../src/sources/index.js';

/**
 * The MySQL CDC source against a real MariaDB (Debian 12 ships MariaDB, not MySQL) with a
 * row-based binlog, started by `scripts/services start` on $FRESHET_TEST_MARIADB_PORT (default
 * 3307) with users `freshet` (replication + SELECT) and `freshet_admin`. Skips loudly outside CI
 * when none answers; fails in CI.
 */
const PORT = Number(process.env.FRESHET_TEST_MARIADB_PORT ?? 3307);
const SOURCE_USER = { host: '127.0.0.1', port: PORT, user: 'freshet', password: 'freshet' };
const ADMIN = { host: '127.0.0.1', port: PORT, user: 'freshet_admin', password: 'freshet' };

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
    `\n*** SKIPPING the MySQL/MariaDB CDC tests: no MariaDB at 127.0.0.1:${PORT} (scripts/services start) ***\n`,
  );
}

const DB = `freshet_cdc_${process.pid}`;
let admin: Connection;
let dir: string;

async function connectAdmin(): Promise<Connection> {
  const c = await mysql.createConnection({ ...ADMIN, database: DB, multipleStatements: true });
  c.on('error', () => undefined);
  return c;
}

async function q(sql: string, values: unknown[] = []): Promise<RowDataPacket[]> {
  const [rows] = await admin.query<RowDataPacket[]>(sql, values);
  return rows;
}

async function readAll(log: EmbeddedLog, topic: string): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  const info = (await log.topics()).find((t) => t.name === topic);
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

type Ev = MysqlChangeEvent & { id: string; key: string | null };

function events(records: StoredRecord[]): Ev[] {
  return records
    .filter((r) => r.value.length > 0)
    .map((r) => ({
      ...(JSON.parse(r.value.toString()) as MysqlChangeEvent),
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
  opts: MysqlCdcSourceOptions;
  source: MysqlCdcSource;
}

let rigN = 0;
const logs: EmbeddedLog[] = [];
async function rig(tables: string[], extra: Partial<MysqlCdcSourceOptions> = {}): Promise<Rig> {
  const n = ++rigN;
  const root = join(dir, `rig${n}`);
  const log = await EmbeddedLog.open(join(root, 'log'));
  logs.push(log);
  const registry = await EmbeddedRegistry.open(join(root, 'registry'));
  const opts: MysqlCdcSourceOptions = {
    connection: SOURCE_USER,
    topicPrefix: 'shop',
    tables: tables.map((t) => `${DB}.${t}`),
    log,
    registry,
    checkpointPath: join(root, 'mysql-checkpoint.json'),
    heartbeatIntervalMs: 300,
    reconnectDelayMs: 200,
    ...extra,
  };
  return { log, registry, opts, source: new MysqlCdcSource(opts) };
}

/** Waits until the source's saved position reaches the server's binlog head. */
async function caughtUp(source: MysqlCdcSource): Promise<void> {
  await waitFor('the source to catch up with the binlog', async () => {
    const lag = await source.refreshLag().catch(() => null);
    return lag === 0;
  });
}

const topic = (t: string) => `shop.${DB}.${t}`;

describe.skipIf(!up && !process.env.CI)('MySQL/MariaDB CDC (real MariaDB)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'freshet-cdc-mysql-'));
    const boot = await mysql.createConnection(ADMIN);
    await boot.query(`CREATE DATABASE ${DB}`);
    await boot.end();
    admin = await connectAdmin();
  });

  afterAll(async () => {
    for (const log of logs) await log.close().catch(() => undefined);
    if (admin) {
      await admin.query(`DROP DATABASE IF EXISTS ${DB}`).catch(() => undefined);
      await admin.end().catch(() => undefined);
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('snapshots, then streams inserts, updates, deletes and truncates in Debezium shapes', async () => {
    await q(`CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(50), price DECIMAL(10,2),
      qty BIGINT, seen DATETIME(3), stamp TIMESTAMP(6) NULL, day DATE, flag BIT(1), raw VARBINARY(8))`);
    await q(`INSERT INTO items VALUES (1,'tea','2.50',10,'2024-01-02 03:04:05.120','2024-01-02 03:04:05.5','2024-01-02',1,x'00ff'),
      (2,'rice','1.00',5,NULL,NULL,NULL,0,NULL)`);
    const r = await rig(['items']);
    await r.source.start();
    await waitFor('snapshot', async () => r.source.status().snapshot.done);
    await q(`INSERT INTO items (id,name,price,qty) VALUES (3,'salt','0.30',7)`);
    await q(`UPDATE items SET qty = 9, name = 'green tea' WHERE id = 1`);
    await q(`DELETE FROM items WHERE id = 2`);
    await caughtUp(r.source);
    const recs = await readAll(r.log, topic('items'));
    const evs = events(recs);
    const snap = evs.filter((e) => e.op === 'r');
    expect(snap.map((e) => e.after!.id)).toEqual([1, 2]);
    expect(snap[0]!.after).toEqual({
      id: 1,
      name: 'tea',
      price: '2.50',
      qty: 10,
      seen: '2024-01-02T03:04:05.12',
      stamp: '2024-01-02T03:04:05.5Z',
      day: '2024-01-02',
      flag: true,
      raw: Buffer.from([0, 255]).toString('base64'),
    });
    expect(snap[1]!.source.snapshot).toBe('last');
    expect(snap[0]!.id).toBe(`mysql:shop:snapshot:${DB}.items:{"id":1}`);
    const [c, u, d] = evs.filter((e) => e.op !== 'r');
    expect(c!.op).toBe('c');
    expect(c!.before).toBeNull();
    expect(c!.after).toMatchObject({ id: 3, name: 'salt', price: '0.30', qty: 7, seen: null });
    expect(c!.source).toMatchObject({
      connector: 'mysql',
      name: 'shop',
      db: DB,
      table: 'items',
      snapshot: 'false',
      server_id: 1,
      row: 0,
    });
    expect(c!.source.gtid).toMatch(/^\d+-1-\d+$/);
    expect(c!.source.file).toMatch(/^binlog\.\d+$/);
    expect(c!.id).toBe(`mysql:shop:${c!.source.file}:${c!.source.pos}:0`);
    expect(c!.transaction).toMatchObject({ id: c!.source.gtid, total_order: 1 });
    expect(c!.key).toBe('{"id":3}');
    expect(u!.op).toBe('u');
    expect(u!.before).toMatchObject({ id: 1, name: 'tea', qty: 10 });
    expect(u!.after).toMatchObject({
      id: 1,
      name: 'green tea',
      qty: 9,
      seen: '2024-01-02T03:04:05.12',
    });
    expect(u!.after!.stamp).toBe('2024-01-02T03:04:05.5Z');
    expect(d!.op).toBe('d');
    expect(d!.before).toMatchObject({ id: 2, name: 'rice' });
    expect(d!.after).toBeNull();
    // Debezium's tombstone follows the delete.
    const last = recs[recs.length - 1]!;
    expect(last.key).toBe('{"id":2}');
    expect(last.value.length).toBe(0);
    // Transaction metadata: BEGIN and END per transaction.
    const txns = (await readAll(r.log, 'shop.transaction')).map(
      (x) => JSON.parse(x.value.toString()) as { status: string; event_count: number | null },
    );
    expect(txns.filter((t) => t.status === 'END')).toHaveLength(3);
    await q(`TRUNCATE TABLE items`);
    await caughtUp(r.source);
    const t = events(await readAll(r.log, topic('items'))).filter((e) => e.op === 't');
    expect(t).toHaveLength(1);
    await r.source.stop();
    expect(r.source.status().state).toBe('stopped');
  });

  it('writes during the initial snapshot are each found exactly once', async () => {
    await q(`CREATE TABLE busy (id INT PRIMARY KEY, v INT)`);
    const N = 3000;
    const values = Array.from({ length: N }, (_, i) => `(${i + 1}, 0)`).join(',');
    await q(`INSERT INTO busy VALUES ${values}`);
    const r = await rig(['busy'], { snapshotChunkSize: 100 });
    let writing = true;
    let next = N + 1;
    const writer = (async () => {
      while (writing) {
        await q(`INSERT INTO busy VALUES (?, 1)`, [next++]);
        await q(`UPDATE busy SET v = v + 1 WHERE id = ?`, [1 + ((next * 7) % N)]);
      }
    })();
    try {
      await r.source.start();
      await waitFor('snapshot', async () => r.source.status().snapshot.done, 60_000);
    } finally {
      writing = false;
      await writer;
    }
    await caughtUp(r.source);
    await r.source.stop();
    // Replaying the events in order gives exactly the table's state.
    const state = new Map<number, number>();
    const evs = events(await readAll(r.log, topic('busy')));
    const ids = new Set<string>();
    for (const e of evs) {
      expect(ids.has(e.id)).toBe(false);
      ids.add(e.id);
      if (e.op === 'd') state.delete(e.before!.id as number);
      else state.set(e.after!.id as number, e.after!.v as number);
    }
    const rows = await q(`SELECT id, v FROM busy ORDER BY id`);
    expect(state.size).toBe(rows.length);
    for (const row of rows) expect(state.get(row.id as number)).toBe(row.v);
    // Every row arrives once as a snapshot row or a create, never both (no overlap, no gap).
    const born = new Map<number, number>();
    for (const e of evs) {
      if (e.op === 'c' || e.op === 'r') {
        born.set(e.after!.id as number, (born.get(e.after!.id as number) ?? 0) + 1);
      }
    }
    expect([...born.values()].every((n) => n === 1)).toBe(true);
    expect(born.size).toBe(rows.length);
    // Each insert made during the snapshot arrives once: as a snapshot row or as a create.
    const inserted = evs.filter(
      (e) => (e.op === 'c' || e.op === 'r') && (e.after!.id as number) > N,
    );
    expect(new Set(inserted.map((e) => e.after!.id)).size).toBe(inserted.length);
    expect(inserted.length).toBe(next - 1 - N);
  });

  it('a column added registers a new schema version', async () => {
    await q(`CREATE TABLE shapes (id INT PRIMARY KEY, a INT)`);
    const r = await rig(['shapes']);
    await r.source.start();
    await waitFor('snapshot', async () => r.source.status().snapshot.done);
    await q(`INSERT INTO shapes VALUES (1, 1)`);
    await q(`ALTER TABLE shapes ADD COLUMN b VARCHAR(10)`);
    await q(`INSERT INTO shapes VALUES (2, 2, 'two')`);
    await caughtUp(r.source);
    await r.source.stop();
    const versions = await r.registry.versions(`${topic('shapes')}-value`);
    expect(versions.length).toBe(2);
    const evs = events(await readAll(r.log, topic('shapes')));
    expect(evs.map((e) => e.after)).toEqual([
      { id: 1, a: 1 },
      { id: 2, a: 2, b: 'two' },
    ]);
  });

  it('restarts from its saved position with no loss and no duplicate', async () => {
    await q(`CREATE TABLE resume (id INT PRIMARY KEY, v INT)`);
    const r = await rig(['resume']);
    await r.source.start();
    await waitFor('snapshot', async () => r.source.status().snapshot.done);
    await q(`INSERT INTO resume VALUES (1, 1), (2, 2)`);
    await caughtUp(r.source);
    await r.source.stop();
    await q(`INSERT INTO resume VALUES (3, 3)`);
    await q(`UPDATE resume SET v = 20 WHERE id = 2`);
    const again = new MysqlCdcSource(r.opts);
    await again.start();
    await caughtUp(again);
    await again.stop();
    const evs = events(await readAll(r.log, topic('resume')));
    expect(evs.map((e) => `${e.op}${e.after!.id}`)).toEqual(['c1', 'c2', 'c3', 'u2']);
    expect(new Set(evs.map((e) => e.id)).size).toBe(evs.length);
  });

  it('a kill between the durable append and the saved position repeats events only with identical ids', async () => {
    await q(`CREATE TABLE crash (id INT PRIMARY KEY, v INT)`);
    const r = await rig(['crash']);
    await r.source.start();
    await waitFor('snapshot', async () => r.source.status().snapshot.done);
    const before = r.source.status().confirmedPosition;
    // The append lands, then the process dies before the position is saved.
    const append = r.log.append.bind(r.log);
    let killed = false;
    r.log.append = async (t, recs) => {
      const res = await append(t, recs);
      if (t === topic('crash') && !killed) {
        killed = true;
        await r.source.kill();
      }
      return res;
    };
    await q(`INSERT INTO crash VALUES (1, 1), (2, 2)`);
    await waitFor('the kill', async () => killed);
    r.log.append = append;
    expect(r.source.status().confirmedPosition).toBe(before);
    await q(`INSERT INTO crash VALUES (3, 3)`);
    const again = new MysqlCdcSource(r.opts);
    await again.start();
    await caughtUp(again);
    await again.stop();
    const evs = events(await readAll(r.log, topic('crash')));
    const byId = new Map<string, Ev[]>();
    for (const e of evs) byId.set(e.id, [...(byId.get(e.id) ?? []), e]);
    expect(evs.length).toBe(5); // rows 1 and 2 twice, row 3 once
    expect(byId.size).toBe(3);
    for (const list of byId.values()) {
      for (const e of list) expect(e.after).toEqual(list[0]!.after);
    }
  });

  it('bad rows go to quarantine with the reason; the stream goes on', async () => {
    await q(`CREATE TABLE odd (id INT PRIMARY KEY, big BIGINT UNSIGNED, d DATE)`);
    await q(`SET SESSION sql_mode = ''`);
    await q(`INSERT INTO odd VALUES (1, 18446744073709551615, '2024-01-01'), (2, 5, '0000-00-00')`);
    const r = await rig(['odd']);
    await r.source.start();
    await waitFor('snapshot', async () => r.source.status().snapshot.done);
    await q(`INSERT INTO odd VALUES (3, 18446744073709551614, '2024-01-01'), (4, 4, '2024-01-04')`);
    await caughtUp(r.source);
    await r.source.stop();
    const good = events(await readAll(r.log, topic('odd')));
    expect(good.map((e) => e.after!.id)).toEqual([4]);
    const bad = (await readAll(r.log, MYSQL_QUARANTINE_TOPIC)).filter(
      (x) => x.headers['freshet.topic'] === topic('odd'),
    );
    expect(bad.map((x) => x.key)).toEqual(['{"id":1}', '{"id":2}', '{"id":3}']);
    expect(bad[0]!.headers['freshet.error']).toMatch(/big: 18446744073709551615 does not fit/);
    expect(bad[1]!.headers['freshet.error']).toMatch(/zero date|not a real date/);
    expect(r.source.status().eventsRejected).toBe(3);
  });

  it('bad server settings fail with the setting to change', async () => {
    await q(`CREATE TABLE settings (id INT PRIMARY KEY)`);
    await q(`SET GLOBAL binlog_row_image = 'MINIMAL'`);
    try {
      const r = await rig(['settings']);
      const err = await r.source.start().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MysqlSetupError);
      expect((err as Error).message).toMatch(
        /binlog_row_image is MINIMAL: set binlog_row_image=FULL/,
      );
      expect(r.source.status().state).toBe('failed');
    } finally {
      await q(`SET GLOBAL binlog_row_image = 'FULL'`);
    }
    const noKey = await rig(['nokey']);
    await q(`CREATE TABLE nokey (v INT)`);
    await expect(noKey.source.start()).rejects.toThrow(/no primary key/);
  });

  it('a server restart mid-stream: reconnects and continues from its position', async () => {
    await q(`CREATE TABLE restart (id INT PRIMARY KEY, v INT)`);
    const r = await rig(['restart']);
    await r.source.start();
    await waitFor('snapshot', async () => r.source.status().snapshot.done);
    await q(`INSERT INTO restart VALUES (1, 1)`);
    await caughtUp(r.source);
    execFileSync('scripts/services', ['mariadb', 'restart'], { stdio: 'ignore' });
    admin = await waitFor('the server', async () => connectAdmin().catch(() => undefined), 60_000);
    await q(`INSERT INTO restart VALUES (2, 2)`);
    await waitFor(
      'the row after the restart',
      async () => events(await readAll(r.log, topic('restart'))).length >= 2,
      60_000,
    );
    await caughtUp(r.source);
    await r.source.stop();
    const evs = events(await readAll(r.log, topic('restart')));
    expect(evs.map((e) => e.after!.id)).toEqual([1, 2]);
  }, 120_000);
});
