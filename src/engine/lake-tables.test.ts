import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeltaTable, LocalObjectStore } from '../lake/index.js';
import { attachLake } from './lake-catalog.js';
import { computeStats, deltaSchemaOf, loadLakeTable, writeDataFile } from './lake-tables.js';
import { Session } from './session.js';

let dir: string;
let session: Session;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-engine-'));
  session = await Session.open({ threads: 1 });
});
afterEach(async () => {
  session.close();
  await rm(dir, { recursive: true, force: true });
});

describe('lake tables in and out of DuckDB', () => {
  it('computes stats with timestamps widened to whole milliseconds', async () => {
    const c = session.connection;
    await c.run(
      "CREATE TABLE t AS SELECT * FROM (VALUES (1, 'b', TIMESTAMPTZ '2026-11-24 10:00:00.0005+00'), (NULL, 'a', TIMESTAMPTZ '2026-11-24 10:00:01.2345+00')) v(n, s, ts)",
    );
    expect(await computeStats(c, 't')).toEqual({
      numRecords: 2,
      minValues: { n: 1, s: 'a', ts: '2026-11-24T10:00:00.000Z' },
      maxValues: { n: 1, s: 'b', ts: '2026-11-24T10:00:01.235Z' },
      nullCount: { n: 1, s: 0, ts: 0 },
    });
  });

  it('writes a relation as a Delta table that reads back by name, and as a DuckDB table', async () => {
    const c = session.connection;
    const store = new LocalObjectStore(join(dir, 'lake'));
    await c.run(
      "CREATE TABLE src AS SELECT range AS id, 'S' || lpad(range::VARCHAR, 4, '0') AS store_id FROM range(100)",
    );
    const table = await DeltaTable.open(store, 'gold/stores');
    await table.create({ schema: await deltaSchemaOf(c, 'src') });
    const add = await writeDataFile(c, 'src', table, join(dir, 'tmp'));
    expect(add).not.toBeNull();
    await table.append([add!]);
    expect(
      await writeDataFile(c, '(SELECT * FROM src WHERE false)', table, join(dir, 'tmp')),
    ).toBeNull();

    const names = await attachLake(c, store);
    expect(names).toEqual(['gold.stores']);
    expect(await c.rows('SELECT count(*) AS n, max(store_id) AS mx FROM gold.stores')).toEqual([
      { n: 100, mx: 'S0099' },
    ]);

    await loadLakeTable(c, 'copy', 'stores', table, await table.snapshot());
    expect(await c.rows('SELECT sum(id) AS s FROM copy.stores')).toEqual([{ s: 4950 }]);
  });

  it('reads an empty Delta table as an empty relation with its columns', async () => {
    const c = session.connection;
    const store = new LocalObjectStore(join(dir, 'lake'));
    const table = await DeltaTable.open(store, 'bronze/empty');
    await table.create({
      schema: {
        type: 'struct',
        fields: [{ name: 'at', type: 'timestamp', nullable: true, metadata: {} }],
      },
    });
    await attachLake(c, store);
    const result = await c.query('SELECT * FROM bronze.empty');
    expect(result.rows).toEqual([]);
    expect(result.columns).toEqual([{ name: 'at', type: 'TIMESTAMP WITH TIME ZONE' }]);
  });

  it('allows only read-only statements through readOnlyQuery', async () => {
    const c = session.connection;
    await expect(c.readOnlyQuery('SELECT 42 AS answer')).resolves.toMatchObject({
      rows: [{ answer: 42 }],
    });
    await expect(c.readOnlyQuery('CREATE TABLE x (a INT)')).rejects.toThrow(
      /only read-only queries/,
    );
    await expect(c.readOnlyQuery("COPY (SELECT 1) TO '/tmp/x.csv'")).rejects.toThrow(
      /only read-only queries/,
    );
    await expect(c.readOnlyQuery('SELECT 1; SELECT 2')).rejects.toThrow(
      /exactly one SQL statement/,
    );
  });
});
