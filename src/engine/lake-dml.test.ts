import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CommitConflictError,
  DeltaTable,
  LocalObjectStore,
  structField,
  tableHistory,
  type AddFile,
  type StructType,
} from '../lake/index.js';
import { deleteWhere, mergeInto } from './lake-dml.js';
import { stageRelation } from './lake-rewrite.js';
import { snapshotSelect } from './lake-tables.js';
import { Session, type Connection } from './session.js';

let dir: string;
let session: Session;
let conn: Connection;
const tmp = () => join(dir, 'tmp');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-dml-'));
  session = await Session.open({ threads: 2 });
  conn = session.connection;
});
afterEach(async () => {
  session.close();
  await rm(dir, { recursive: true, force: true });
});

const schema: StructType = {
  type: 'struct',
  fields: [structField('id', 'long'), structField('region', 'string'), structField('qty', 'long')],
};

/** A table whose files hold ids [0,100), [100,200), …: one file per append. */
async function table(
  path = 'silver/stock',
  files = 4,
  partitionColumns: string[] = [],
): Promise<DeltaTable> {
  const t = await DeltaTable.open(new LocalObjectStore(join(dir, 'lake')), path);
  await t.create({ schema, partitionColumns });
  for (let i = 0; i < files; i++) await append(t, i * 100, 100);
  return t;
}

async function append(t: DeltaTable, from: number, n: number): Promise<AddFile[]> {
  const snapshot = await t.snapshot();
  const adds = await stageRelation(
    conn,
    `(SELECT range AS id, CASE WHEN range % 2 = 0 THEN 'north' ELSE 'south' END AS region,
             range AS qty FROM range(${from}, ${from + n}))`,
    t,
    snapshot,
    { tmpDir: tmp(), dataChange: true },
  );
  await t.append(adds);
  return adds;
}

async function read(t: DeltaTable, sql = 'SELECT count(*) AS n, sum(qty) AS q FROM data') {
  const snapshot = await t.snapshot();
  return conn.rows(sql.replace('data', `(${snapshotSelect(t, snapshot)})`));
}

/** Data files on disk (not counting the log): an aborted statement must leave none behind. */
async function dataFilesOnDisk(t: DeltaTable): Promise<number> {
  const keys = await t.store.list(`${t.tablePath}/`);
  return keys.filter((k) => k.endsWith('.parquet') && !k.includes('_delta_log')).length;
}

describe('deleteWhere', () => {
  it('rewrites only the file holding matching rows, skipping the others by their statistics', async () => {
    const t = await table();
    const before = (await t.snapshot()).files.map((f) => f.path);
    const r = await deleteWhere(conn, t, 'id BETWEEN 150 AND 160', { tmpDir: tmp() });
    expect(r).toMatchObject({
      committed: true,
      version: 5,
      filesScanned: 1,
      filesSkipped: 3,
      filesRemoved: 1,
      filesAdded: 1,
      deletedRows: 11,
      copiedRows: 89,
    });
    const after = await t.snapshot();
    expect(after.files.map((f) => f.path)).toEqual(
      expect.arrayContaining([before[0], before[2], before[3]]),
    );
    expect(after.files.map((f) => f.path)).not.toContain(before[1]);
    expect(await read(t)).toEqual([{ n: 389, q: 79800 - ((150 + 160) * 11) / 2 }]);
    const [h] = await tableHistory(t, { limit: 1 });
    expect(h).toMatchObject({
      operation: 'DELETE',
      readVersion: 4,
      isBlindAppend: false,
      operationParameters: { predicate: '["id BETWEEN 150 AND 160"]' },
    });
    const commit = await t.store.get(`${t.tablePath}/_delta_log/${'5'.padStart(20, '0')}.json`);
    expect(commit!.toString()).toMatch(
      /"remove":\{"path":"[^"]+","deletionTimestamp":\d+,"dataChange":true/,
    );
  });

  it('removes a file whose rows all match without writing a new one, and keeps NULL rows', async () => {
    const t = await table();
    const r = await deleteWhere(conn, t, 'id < 100 OR (id >= 300 AND qty > NULL)', {
      tmpDir: tmp(),
    });
    expect(r).toMatchObject({ filesRemoved: 1, filesAdded: 0, deletedRows: 100 });
    expect(await read(t, 'SELECT min(id) AS lo, count(*) AS n FROM data')).toEqual([
      { lo: 100, n: 300 },
    ]);
  });

  it('commits nothing when no row matches (and only the txn when one is given)', async () => {
    const t = await table();
    const none = await deleteWhere(conn, t, 'id > 10000', { tmpDir: tmp() });
    expect(none).toMatchObject({ committed: false, version: 4, filesScanned: 0, filesSkipped: 4 });
    const withTxn = await deleteWhere(conn, t, "region = 'east'", {
      tmpDir: tmp(),
      txns: [{ appId: 'cleanup', version: 1 }],
    });
    expect(withTxn).toMatchObject({ committed: true, version: 5, deletedRows: 0 });
    expect((await t.snapshot()).txnVersion('cleanup')).toBe(1);
    expect((await t.snapshot()).files).toHaveLength(4);
  });

  it('prunes by partition values and keeps the rewritten rows in their partition', async () => {
    const t = await table('silver/by_region', 2, ['region']);
    const snap = await t.snapshot();
    expect(snap.files).toHaveLength(4); // two appends x two regions
    const r = await deleteWhere(conn, t, "region = 'south' AND id < 50", { tmpDir: tmp() });
    expect(r).toMatchObject({ filesScanned: 1, filesSkipped: 3, deletedRows: 25, filesAdded: 1 });
    const after = await t.snapshot();
    const south = after.files.filter((f) => f.partitionValues.region === 'south');
    expect(south).toHaveLength(2);
    expect(await read(t, "SELECT count(*) AS n FROM data WHERE region = 'south'")).toEqual([
      { n: 75 },
    ]);
    expect(await read(t, "SELECT count(*) AS n FROM data WHERE region = 'north'")).toEqual([
      { n: 100 },
    ]);
  });

  it('refuses a predicate that is not one expression', async () => {
    const t = await table('silver/x', 1);
    await expect(deleteWhere(conn, t, 'id = 1; DROP TABLE x', { tmpDir: tmp() })).rejects.toThrow(
      /one boolean SQL expression|not valid SQL/,
    );
    await expect(deleteWhere(conn, t, 'id = (', { tmpDir: tmp() })).rejects.toThrow(
      /not valid SQL/,
    );
  });

  it('conflicts with a concurrent delete of a file it read, and leaves no file behind', async () => {
    const t = await table();
    const other = await DeltaTable.open(new LocalObjectStore(join(dir, 'lake')), t.tablePath);
    const commit = t.commit.bind(t);
    t.commit = async (actions, opts) => {
      await deleteWhere(conn, other, 'id = 120', { tmpDir: tmp() });
      return commit(actions, opts);
    };
    await expect(deleteWhere(conn, t, 'id = 150', { tmpDir: tmp() })).rejects.toBeInstanceOf(
      CommitConflictError,
    );
    expect(await dataFilesOnDisk(t)).toBe(5); // 4 + the other delete's rewrite
  });

  it('commutes with a concurrent blind append', async () => {
    const t = await table();
    const other = await DeltaTable.open(new LocalObjectStore(join(dir, 'lake')), t.tablePath);
    const commit = t.commit.bind(t);
    t.commit = async (actions, opts) => {
      await append(other, 1000, 10);
      return commit(actions, opts);
    };
    const r = await deleteWhere(conn, t, 'id = 150', { tmpDir: tmp() });
    expect(r.version).toBe(6);
    expect(await read(t, 'SELECT count(*) AS n FROM data')).toEqual([{ n: 409 }]);
  });
});

describe('mergeInto', () => {
  it('upserts by key: rewrites only files with matched keys and appends the inserts, in one commit with a txn', async () => {
    const t = await table();
    const before = (await t.snapshot()).files.map((f) => f.path);
    await conn.run(
      `CREATE TABLE changes AS SELECT * FROM (VALUES (5, 'north', 1000), (7, 'west', 2000), (900, 'east', 3)) v(id, region, qty)`,
    );
    const r = await mergeInto(conn, t, 'changes', {
      on: ['id'],
      tmpDir: tmp(),
      txns: [{ appId: 'upsert', version: 3 }],
    });
    expect(r).toMatchObject({
      committed: true,
      version: 5,
      sourceRows: 3,
      updatedRows: 2,
      insertedRows: 1,
      deletedRows: 0,
      copiedRows: 98,
      filesScanned: 1,
      filesSkipped: 3,
      filesRemoved: 1,
    });
    const after = await t.snapshot();
    expect(after.txnVersion('upsert')).toBe(3);
    expect(after.files.map((f) => f.path)).toEqual(expect.arrayContaining(before.slice(1)));
    expect(after.files.map((f) => f.path)).not.toContain(before[0]);
    expect(
      await read(t, 'SELECT id, region, qty FROM data WHERE id IN (5, 6, 7, 900) ORDER BY id'),
    ).toEqual([
      { id: 5, region: 'north', qty: 1000 },
      { id: 6, region: 'north', qty: 6 },
      { id: 7, region: 'west', qty: 2000 },
      { id: 900, region: 'east', qty: 3 },
    ]);
    expect(await read(t, 'SELECT count(*) AS n FROM data')).toEqual([{ n: 401 }]);
    const [h] = await tableHistory(t, { limit: 1 });
    expect(h).toMatchObject({
      operation: 'MERGE',
      readVersion: 4,
      txns: [{ appId: 'upsert', version: 3 }],
      operationMetrics: { numTargetRowsUpdated: 2, numTargetRowsInserted: 1 },
    });
  });

  it('updates with expressions and a condition, deletes, or inserts only, as asked', async () => {
    const t = await table('silver/m', 2);
    await conn.run(
      `CREATE TABLE s1 AS SELECT * FROM (VALUES (10, 'x', 5), (11, 'x', 5), (500, 'x', 1)) v(id, region, qty)`,
    );
    // Add to the quantity, only where the target's is even; no inserts.
    const upd = await mergeInto(conn, t, 's1', {
      on: ['id'],
      tmpDir: tmp(),
      whenMatched: { action: 'update', set: { qty: 't.qty + s.qty' }, condition: 't.qty % 2 = 0' },
      whenNotMatched: null,
    });
    expect(upd).toMatchObject({ updatedRows: 1, insertedRows: 0 });
    expect(
      await read(t, 'SELECT id, region, qty FROM data WHERE id IN (10, 11) ORDER BY id'),
    ).toEqual([
      { id: 10, region: 'north', qty: 15 },
      { id: 11, region: 'south', qty: 11 },
    ]);
    const del = await mergeInto(conn, t, '(SELECT id FROM range(0, 200, 3) r(id))', {
      on: ['id'],
      tmpDir: tmp(),
      whenMatched: { action: 'delete' },
      whenNotMatched: null,
    });
    expect(del).toMatchObject({ deletedRows: 67, filesRemoved: 2 });
    expect(await read(t, 'SELECT count(*) AS n FROM data')).toEqual([{ n: 133 }]);
    const ins = await mergeInto(conn, t, 's1', {
      on: ['id'],
      tmpDir: tmp(),
      whenMatched: null,
      whenNotMatched: { action: 'insert', values: { id: 's.id', qty: 's.qty * 10' } },
    });
    expect(ins).toMatchObject({ insertedRows: 1, filesRemoved: 0, updatedRows: 0 });
    expect(await read(t, 'SELECT region, qty FROM data WHERE id = 500')).toEqual([
      { region: null, qty: 10 },
    ]);
  });

  it('refuses a source with two rows for one target row, and commits nothing', async () => {
    const t = await table('silver/d', 1);
    await conn.run(
      `CREATE TABLE dup AS SELECT * FROM (VALUES (1, 'a', 1), (1, 'b', 2)) v(id, region, qty)`,
    );
    await expect(mergeInto(conn, t, 'dup', { on: ['id'], tmpDir: tmp() })).rejects.toThrow(
      /several source rows for one target row/,
    );
    expect((await t.snapshot()).version).toBe(1);
    expect(await dataFilesOnDisk(t)).toBe(1);
    await expect(
      mergeInto(conn, t, '(SELECT 1 AS id)', { on: ['id'], tmpDir: tmp() }),
    ).rejects.toThrow(/lacks column\(s\) region, qty/);
  });

  it('moves an updated row to its new partition', async () => {
    const t = await table('silver/mp', 1, ['region']);
    const r = await mergeInto(conn, t, "(SELECT 4 AS id, 'south' AS region, 44 AS qty)", {
      on: ['id'],
      tmpDir: tmp(),
    });
    expect(r).toMatchObject({ updatedRows: 1, filesRemoved: 1 });
    expect(await read(t, 'SELECT region, count(*) AS n FROM data GROUP BY ALL ORDER BY 1')).toEqual(
      [
        { region: 'north', n: 49 },
        { region: 'south', n: 51 },
      ],
    );
    const south = (await t.snapshot()).files.filter((f) => f.partitionValues.region === 'south');
    expect(south.length).toBeGreaterThanOrEqual(2);
  });

  it('inserting counts as reading the whole table: a concurrent merge of the same new key conflicts', async () => {
    const t = await table('silver/race', 2);
    const other = await DeltaTable.open(new LocalObjectStore(join(dir, 'lake')), t.tablePath);
    const commit = t.commit.bind(t);
    t.commit = async (actions, opts) => {
      await mergeInto(conn, other, "(SELECT 7000 AS id, 'a' AS region, 1 AS qty)", {
        on: ['id'],
        tmpDir: tmp(),
      });
      return commit(actions, opts);
    };
    await expect(
      mergeInto(conn, t, "(SELECT 7000 AS id, 'b' AS region, 2 AS qty)", {
        on: ['id'],
        tmpDir: tmp(),
      }),
    ).rejects.toBeInstanceOf(CommitConflictError);
    expect(await read(other, 'SELECT count(*) AS n FROM data WHERE id = 7000')).toEqual([{ n: 1 }]);
    expect(await dataFilesOnDisk(t)).toBe(3);
    expect(await readdir(tmp())).toEqual([]);
  });
});
