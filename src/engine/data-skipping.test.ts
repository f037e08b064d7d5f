import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddFile, FileStats, Snapshot, StructType } from '../lake/index.js';
import { filesMatchingKeys, filesMatchingPredicate } from './data-skipping.js';
import { Session, type Connection } from './session.js';

let session: Session;
let conn: Connection;
beforeAll(async () => {
  session = await Session.open({ threads: 1 });
  conn = session.connection;
});
afterAll(() => session.close());

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'store_id', type: 'string', nullable: true, metadata: {} },
    { name: 'sold_at', type: 'timestamp', nullable: true, metadata: {} },
    { name: 'day', type: 'date', nullable: true, metadata: {} },
  ],
};

function file(name: string, day: string | null, stats?: Partial<FileStats>): AddFile {
  return {
    path: name,
    partitionValues: { day },
    size: 1,
    modificationTime: 0,
    dataChange: true,
    ...(stats
      ? { stats: JSON.stringify({ minValues: {}, maxValues: {}, nullCount: {}, ...stats }) }
      : {}),
  };
}

/** Only what data skipping looks at. */
const snapshot = (files: AddFile[]) =>
  ({ schema, partitionColumns: ['day'], files }) as unknown as Snapshot;

const files = [
  file('a', '2026-11-01', {
    numRecords: 10,
    minValues: { id: 0, store_id: 'S0001', sold_at: '2026-11-01T09:00:00.000Z' },
    maxValues: { id: 9, store_id: 'S0005', sold_at: '2026-11-01T18:00:00.000Z' },
    nullCount: { id: 0, store_id: 0, sold_at: 0 },
  }),
  file('b', '2026-11-02', {
    numRecords: 10,
    minValues: { id: 10, store_id: 'S0004', sold_at: '2026-11-02T09:00:00.000Z' },
    maxValues: { id: 19, store_id: 'S0009', sold_at: '2026-11-02T18:00:00.000Z' },
    nullCount: { id: 0, store_id: 2, sold_at: 0 },
  }),
  file('c', null, {
    numRecords: 5,
    minValues: {},
    maxValues: {},
    nullCount: { id: 5, store_id: 5, sold_at: 5 },
  }),
  file('d', '2026-11-03'), // no statistics: never skipped
];

async function matching(predicate: string): Promise<string[]> {
  return (await filesMatchingPredicate(conn, snapshot(files), predicate)).files.map((f) => f.path);
}

describe('filesMatchingPredicate', () => {
  it.each([
    ['id = 5', ['a', 'd']],
    ['id = 100', ['d']],
    ['5 = id', ['a', 'd']],
    ['id > 9', ['b', 'd']],
    ['id >= 9', ['a', 'b', 'd']],
    ['id < 10', ['a', 'd']],
    ['id <> 5', ['a', 'b', 'd']],
    ['id BETWEEN 12 AND 30', ['b', 'd']],
    ['id IN (3, 40)', ['a', 'd']],
    ["store_id = 'S0004'", ['a', 'b', 'd']],
    ["store_id = 'S0006'", ['b', 'd']],
    ['store_id IS NULL', ['b', 'c', 'd']],
    ['id IS NOT NULL', ['a', 'b', 'd']],
    ["sold_at > TIMESTAMPTZ '2026-11-01 18:00:00+00'", ['a', 'b', 'd']], // max widened by 1 ms
    ["sold_at >= '2026-11-02 00:00:00+00'", ['b', 'd']],
    ["day = DATE '2026-11-02'", ['b']],
    ['day IS NULL', ['c']],
    ["day = '2026-11-01' OR id = 15", ['a', 'b', 'd']],
    ["day = '2026-11-01' AND id = 15", []],
    ['id + 1 = 5', ['a', 'b', 'c', 'd']], // not a column compared with a constant: no skipping
    ['id = 5 OR abs(id) = 3', ['a', 'b', 'c', 'd']],
    ['id = 1 + 4', ['a', 'd']],
    ['id = 12345678901234567890', ['a', 'b', 'c', 'd']], // a constant JSON cannot carry exactly
  ])('%s', async (predicate, expected) => {
    expect(await matching(predicate)).toEqual(expected);
  });

  it('judges a constant that does not cast to the column type by null counts only', async () => {
    expect(await matching("id = 'not a number'")).toEqual(['a', 'b', 'd']);
  });
});

describe('filesMatchingKeys', () => {
  it('keeps files whose key ranges hold a source key, and files without statistics', async () => {
    await conn.run('CREATE TABLE keys AS SELECT * FROM (VALUES (3), (NULL), (50)) v(id)');
    const r = await filesMatchingKeys(conn, snapshot(files), 'keys', ['id']);
    expect(r.files.map((f) => f.path)).toEqual(['a', 'd']);
    expect(r.skipped).toBe(2);
    const byDay = await filesMatchingKeys(
      conn,
      snapshot(files),
      "(SELECT DATE '2026-11-02' AS day, 15 AS id)",
      ['day', 'id'],
    );
    expect(byDay.files.map((f) => f.path)).toEqual(['b']);
  });
});
