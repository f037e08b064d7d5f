import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DeltaTable,
  LocalObjectStore,
  structField,
  tableHistory,
  type AddFile,
  type StructType,
} from '../lake/index.js';
import { compactTable, planCompaction } from './lake-compact.js';
import { deleteWhere } from './lake-dml.js';
import { stageRelation } from './lake-rewrite.js';
import { snapshotSelect } from './lake-tables.js';
import { Session, type Connection } from './session.js';

describe('planCompaction', () => {
  const f = (path: string, size: number, day: string | null = null, rows = 10): AddFile => ({
    path,
    partitionValues: { day },
    size,
    modificationTime: 0,
    dataChange: true,
    stats: JSON.stringify({ numRecords: rows }),
  });
  const paths = (bins: AddFile[][]) => bins.map((b) => b.map((x) => x.path));

  it('packs small files of one partition in commit order up to the target size', () => {
    const files = [f('a', 40), f('b', 40), f('c', 40), f('d', 40), f('e', 100), f('g', 10)];
    expect(paths(planCompaction(files, ['day'], { targetFileBytes: 100 }))).toEqual([
      ['a', 'b'],
      ['c', 'd', 'g'],
    ]); // 'e' is already big
    expect(paths(planCompaction(files.slice(0, 5), ['day'], { targetFileBytes: 100 }))).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(planCompaction([f('a', 10), f('b', 200)], ['day'], { targetFileBytes: 100 })).toEqual(
      [],
    );
  });

  it('never mixes partitions, and closes bins at the target rows', () => {
    const files = [f('a', 1, 'x'), f('b', 1, 'y'), f('c', 1, 'x'), f('d', 1, 'y'), f('e', 1, 'x')];
    expect(paths(planCompaction(files, ['day'], { targetFileBytes: 100 }))).toEqual([
      ['a', 'c', 'e'],
      ['b', 'd'],
    ]);
    expect(paths(planCompaction(files, ['day'], { targetFileBytes: 100, targetRows: 20 }))).toEqual(
      [
        ['a', 'c'],
        ['b', 'd'],
      ],
    );
  });
});

let dir: string;
let session: Session;
let conn: Connection;
const tmp = () => join(dir, 'tmp');
const schema: StructType = {
  type: 'struct',
  fields: [structField('id', 'long'), structField('day', 'string'), structField('note', 'string')],
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-compact-'));
  session = await Session.open({ threads: 2 });
  conn = session.connection;
});
afterEach(async () => {
  session.close();
  await rm(dir, { recursive: true, force: true });
});

async function open(path: string): Promise<DeltaTable> {
  return DeltaTable.open(new LocalObjectStore(join(dir, 'lake')), path);
}

/** Appends ids [from, from+n) as one small file per partition (as the bronze writer does). */
async function append(c: Connection, t: DeltaTable, from: number, n: number): Promise<number> {
  const adds = await stageRelation(
    c,
    `(SELECT range AS id, '2026-11-0' || (1 + range % 2) AS day, 'n' || range AS note FROM range(${from}, ${from + n}))`,
    t,
    await t.snapshot(),
    { tmpDir: tmp(), dataChange: true },
  );
  return t.append(adds);
}

async function ids(t: DeltaTable): Promise<number[]> {
  const rows = await conn.rows(`SELECT id FROM (${snapshotSelect(t, await t.snapshot())})`);
  return rows.map((r) => Number(r.id));
}

describe('compactTable', () => {
  it('rewrites many small files as one per partition, dataChange=false, rows unchanged and in order', async () => {
    const t = await open('bronze/events');
    await t.create({ schema, partitionColumns: ['day'] });
    for (let i = 0; i < 30; i++) await append(conn, t, i * 10, 10);
    expect((await t.snapshot()).files).toHaveLength(60); // one per partition per append

    const unpartitioned = await open('bronze/flat');
    await unpartitioned.create({ schema });
    for (let i = 0; i < 12; i++) await append(conn, unpartitioned, i * 10, 10);
    const flat = await compactTable(conn, unpartitioned, { tmpDir: tmp() });
    expect(flat).toMatchObject({ committed: true, filesRemoved: 12, filesAdded: 1, rows: 120 });
    // One bin, read in commit order: the rows keep the order they were appended in.
    expect(await ids(unpartitioned)).toEqual(Array.from({ length: 120 }, (_, i) => i));

    const r = await compactTable(conn, t, { tmpDir: tmp() });
    expect(r).toMatchObject({
      committed: true,
      version: 31,
      filesRemoved: 60,
      filesAdded: 2,
      partitions: 2,
      rows: 300,
      attempts: 1,
    });
    const snap = await t.snapshot();
    expect(snap.files.map((f) => f.partitionValues.day).sort()).toEqual([
      '2026-11-01',
      '2026-11-02',
    ]);
    expect(snap.files.every((f) => f.dataChange === false)).toBe(true);
    expect((await ids(t)).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    const stats = JSON.parse(snap.files[0]!.stats!) as { numRecords: number; minValues: object };
    expect(stats.numRecords).toBe(150);
    expect(stats.minValues).toHaveProperty('id');

    const log = await t.store.get(`bronze/events/_delta_log/${'31'.padStart(20, '0')}.json`);
    const lines = log!
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, { dataChange?: boolean }>);
    expect(lines.filter((l) => l.remove).every((l) => l.remove!.dataChange === false)).toBe(true);
    expect(lines.filter((l) => l.add).every((l) => l.add!.dataChange === false)).toBe(true);
    const [h] = await tableHistory(t, { limit: 1 });
    expect(h).toMatchObject({ operation: 'OPTIMIZE', isBlindAppend: false, readVersion: 30 });

    expect(await compactTable(conn, t, { tmpDir: tmp() })).toMatchObject({
      committed: false,
      version: 31,
    });
    expect(await readdir(tmp())).toEqual([]);
  });

  it('loses nothing while another DeltaTable instance keeps appending', async () => {
    const writer = await open('bronze/busy');
    await writer.create({ schema });
    const compactor = await open('bronze/busy');
    const writerConn = await session.connect();
    const batches = 60;
    let appending = true;
    const appends = (async () => {
      try {
        for (let i = 0; i < batches; i++) await append(writerConn, writer, i * 7, 7);
      } finally {
        appending = false;
      }
    })();
    const results = [];
    while (appending) {
      results.push(await compactTable(conn, compactor, { tmpDir: tmp() }));
      await new Promise((r) => setTimeout(r, 5));
    }
    await appends;
    results.push(await compactTable(conn, compactor, { tmpDir: tmp() }));
    writerConn.close();

    const committed = results.filter((r) => r.committed);
    expect(committed.length).toBeGreaterThanOrEqual(2); // it really ran between appends
    expect(results.every((r) => r.attempts === 1)).toBe(true); // appends never conflicted
    const reader = await open('bronze/busy');
    const all = await conn.rows(
      `SELECT count(*) AS n, count(DISTINCT id) AS d, sum(id) AS s FROM (${snapshotSelect(reader, await reader.snapshot())})`,
    );
    const n = batches * 7;
    expect(all).toEqual([{ n, d: n, s: (n * (n - 1)) / 2 }]);
    // Appends landed between a compaction's snapshot and its commit: the commit went past them.
    const optimizes = (await tableHistory(reader)).filter((h) => h.operation === 'OPTIMIZE');
    expect(optimizes.some((h) => h.version > h.readVersion! + 1)).toBe(true);
  });

  it('plans again when a concurrent delete removed a file it was compacting', async () => {
    const t = await open('bronze/raced');
    await t.create({ schema });
    for (let i = 0; i < 6; i++) await append(conn, t, i * 10, 10);
    const other = await open('bronze/raced');
    const commit = t.commit.bind(t);
    let raced = false;
    t.commit = async (actions, opts) => {
      if (!raced) {
        raced = true;
        await deleteWhere(conn, other, 'id = 3', { tmpDir: tmp() });
      }
      return commit(actions, opts);
    };
    const r = await compactTable(conn, t, { tmpDir: tmp() });
    expect(r).toMatchObject({ committed: true, attempts: 2, rows: 59 });
    expect((await ids(t)).length).toBe(59);
    // The first attempt's output was discarded: only the live files remain in the folder.
    const onDisk = (await t.store.list('bronze/raced/')).filter(
      (k) => k.endsWith('.parquet') && !k.includes('_delta_log'),
    );
    expect(onDisk.length).toBe(6 + 1 + 1); // appended, the delete's rewrite, the compacted output
  });
});
