import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computeStats, copyWithStats } from './file-stats.js';
import { Session, quoteLiteral } from './session.js';

let dir: string;
let session: Session;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-stats-'));
  session = await Session.open({ threads: 1 });
});
afterEach(async () => {
  session.close();
  await rm(dir, { recursive: true, force: true });
});

const PARQUET = ['FORMAT parquet', 'COMPRESSION snappy'];

/** Every kind of column the rules treat differently, with nulls, sub-millisecond times and edge values. */
const MIXED = `SELECT * FROM (VALUES
  (1::BIGINT, 2.5::DOUBLE, 1.5::FLOAT, 'b', TIMESTAMPTZ '2026-11-24 10:00:00.0005+00',
   TIMESTAMP '2026-01-01 00:00:00.0005', DATE '2026-01-02', 123.45::DECIMAL(5,2), true,
   {'a': 1}, [1, 2], NULL::VARCHAR, 'short', TIMESTAMP_NS '2026-01-01 00:00:00.123456789', 5::UBIGINT, 'x'),
  (NULL, -0.5, -0.0, 'a', TIMESTAMPTZ '2026-11-24 10:00:01.2345+05:30',
   TIMESTAMP '1969-12-31 23:59:59.9995', DATE '0001-01-01', -1.5, NULL,
   NULL, NULL, NULL, repeat('long', 30), NULL, 7, 'y'),
  (7, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false,
   {'a': NULL}, [], NULL, 'mid', NULL, NULL, 'z')
) t(n, d, f, s, tz, ts, dt, dec, bo, st, li, allnull, longish, tsns, ub, "odd ""name""")`;

describe('file statistics', () => {
  it('computes stats with timestamps widened to whole milliseconds', async () => {
    const c = session.connection;
    await c.run(
      "CREATE TABLE t AS SELECT * FROM (VALUES (1, 'b', TIMESTAMPTZ '2026-11-24 10:00:00.0005+00'), (NULL, 'a', TIMESTAMPTZ '2026-11-24 10:00:01.2345+00')) v(n, s, ts)",
    );
    const expected = {
      numRecords: 2,
      minValues: { n: 1, s: 'a', ts: '2026-11-24T10:00:00.000Z' },
      maxValues: { n: 1, s: 'b', ts: '2026-11-24T10:00:01.235Z' },
      nullCount: { n: 1, s: 0, ts: 0 },
    };
    expect(await computeStats(c, 't')).toEqual(expected);
    const [file] = await copyWithStats(c, 'SELECT * FROM t', join(dir, 'a.parquet'), PARQUET);
    expect(file).toEqual({ path: join(dir, 'a.parquet'), stats: expected });
  });

  it('takes from the Parquet writer exactly what a query over the data gives', async () => {
    const c = session.connection;
    const [file] = await copyWithStats(c, MIXED, join(dir, 'm.parquet'), PARQUET);
    const fromData = await computeStats(
      c,
      `(SELECT * FROM read_parquet(${quoteLiteral(file!.path)}))`,
    );
    expect(file!.stats).toEqual(fromData);
    expect(fromData).toEqual({
      numRecords: 3,
      minValues: {
        n: 1,
        d: -0.5,
        f: 0,
        s: 'a',
        tz: '2026-11-24T04:30:01.234Z',
        ts: '1969-12-31T23:59:59.999Z',
        dt: '0001-01-01',
        dec: -1.5,
        tsns: '2026-01-01T00:00:00.123Z',
        'odd "name"': 'x',
      },
      maxValues: {
        n: 7,
        d: 2.5,
        f: 1.5,
        s: 'b',
        tz: '2026-11-24T10:00:00.001Z',
        ts: '2026-01-01T00:00:00.001Z',
        dt: '2026-01-02',
        dec: 123.45,
        tsns: '2026-01-01T00:00:00.124Z',
        'odd "name"': 'z',
      },
      nullCount: {
        n: 1,
        d: 1,
        f: 1,
        s: 1,
        tz: 1,
        ts: 1,
        dt: 1,
        dec: 1,
        bo: 1,
        st: 1,
        li: 1,
        allnull: 3,
        longish: 0,
        tsns: 2,
        ub: 1,
        'odd "name"': 0,
      },
    });
  });

  it('gives each file of a split output its own statistics', async () => {
    const c = session.connection;
    const select = `SELECT range AS id, 'S' || lpad((range % 800)::VARCHAR, 4, '0') AS store_id, CASE WHEN range % 7 = 0 THEN NULL ELSE range * 2 END AS qty FROM range(300000)`;
    const files = await copyWithStats(c, select, join(dir, 'split'), [
      ...PARQUET,
      'FILE_SIZE_BYTES 100000',
    ]);
    expect(files.length).toBeGreaterThan(1);
    let rows = 0;
    for (const f of files) {
      rows += f.stats.numRecords;
      expect(f.stats).toEqual(
        await computeStats(c, `(SELECT * FROM read_parquet(${quoteLiteral(f.path)}))`),
      );
    }
    expect(rows).toBe(300000);
  });

  it('leaves out bounds a reader could be misled by: NaN, infinity, long strings', async () => {
    const c = session.connection;
    const select = `SELECT * FROM (VALUES (1.0::DOUBLE, 1.0::DOUBLE, 'a', TIMESTAMPTZ '2026-01-01'), ('nan'::DOUBLE, 'inf'::DOUBLE, repeat('z', 300), TIMESTAMPTZ 'infinity')) t(d, i, s, ts)`;
    const [file] = await copyWithStats(c, select, join(dir, 'n.parquet'), PARQUET);
    const expected = {
      numRecords: 2,
      minValues: {},
      maxValues: {},
      nullCount: { d: 0, i: 0, s: 0, ts: 0 },
    };
    expect(file!.stats).toEqual(expected);
    expect(await computeStats(c, `(${select})`)).toEqual(expected);
  });

  it('reports an empty relation as a file of no rows', async () => {
    const c = session.connection;
    const [file] = await copyWithStats(
      c,
      `SELECT 1::BIGINT AS a, {'x': 1} AS st WHERE false`,
      join(dir, 'e.parquet'),
      PARQUET,
    );
    expect(file!.stats).toEqual({
      numRecords: 0,
      minValues: {},
      maxValues: {},
      nullCount: { a: 0, st: 0 },
    });
  });
});
