import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DeltaTable,
  encodeDeletionVector,
  encodeDeletionVectorFile,
  inlineDescriptorData,
  LocalObjectStore,
  uuidDescriptorPath,
  type Action,
  type StructField,
} from '../lake/index.js';
import { EngineError } from './errors.js';
import {
  defineLakeView,
  describe as describeRelation,
  prepareSnapshotSelect,
  snapshotSelect,
} from './lake-tables.js';
import { Session, type Connection } from './session.js';

/**
 * Reading tables that use deletion vectors, column mapping, V2 checkpoints and type widening:
 * the reference tables written by Spark/Databricks (expected rows from delta-rs's and
 * delta-kernel-rs's tests of the same tables), and tables written here, log line by log line.
 */

const FIXTURES = fileURLToPath(new URL('../../../shared/testdata/delta-rs/', import.meta.url));
const v = (n: number) => String(n).padStart(20, '0');

let dir: string;
let session: Session;
let c: Connection;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-read-features-'));
  session = await Session.open({ threads: 2 });
  c = session.connection;
});
afterEach(async () => {
  session.close();
  await rm(dir, { recursive: true, force: true });
});

async function view(root: string, tablePath: string, version?: number): Promise<string> {
  const table = await DeltaTable.open(new LocalObjectStore(root), tablePath);
  const snapshot = version === undefined ? await table.snapshot() : await table.snapshotAt(version);
  const name = `t${Math.random().toString(36).slice(2, 8)}`;
  await defineLakeView(c, 'lake', name, table, snapshot);
  return `lake.${name}`;
}

async function column(sql: string): Promise<unknown[]> {
  return (await c.rows(sql)).map((r) => Object.values(r)[0]);
}

/** Writes commit `version` of the table at `<dir>/<tablePath>`. */
async function commit(tablePath: string, version: number, actions: Action[]): Promise<void> {
  const file = join(dir, tablePath, '_delta_log', `${v(version)}.json`);
  await mkdir(join(dir, tablePath, '_delta_log'), { recursive: true });
  await writeFile(file, actions.map((a) => JSON.stringify(a)).join('\n'));
}

/** Writes a data file of the table with DuckDB (COPY options such as FIELD_IDS allowed). */
async function dataFile(tablePath: string, name: string, sql: string, options = '') {
  const file = join(dir, tablePath, name);
  await mkdir(join(file, '..'), { recursive: true });
  await c.run(`COPY (${sql}) TO '${file}' (FORMAT parquet${options ? `, ${options}` : ''})`);
  return {
    path: name,
    partitionValues: {},
    size: (await stat(file)).size,
    modificationTime: 1,
    dataChange: true,
  };
}

const field = (name: string, type: StructField['type'], metadata = {}): StructField => ({
  name,
  type,
  nullable: true,
  metadata,
});

function metaData(
  fields: StructField[],
  configuration: Record<string, string> = {},
  partitionColumns: string[] = [],
): Action {
  return {
    metaData: {
      id: 'own',
      format: { provider: 'parquet', options: {} },
      schemaString: JSON.stringify({ type: 'struct', fields }),
      partitionColumns,
      configuration,
    },
  };
}

describe('reference tables', () => {
  it('table-with-dv-small: the DV hides values 0 and 9 (delta-kernel-rs: 1..8 remain)', async () => {
    const t = await view(FIXTURES, 'table-with-dv-small');
    expect(await column(`SELECT value FROM ${t} ORDER BY value`)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // Version 0, before the DELETE, has all ten.
    expect(
      await column(`SELECT count(*) FROM ${await view(FIXTURES, 'table-with-dv-small', 0)}`),
    ).toEqual([10]);
  });

  it('table_with_deletion_logs: 100 rows, one deleted by version 3, two by version 4 (ids 12 and 89)', async () => {
    const latest = await view(FIXTURES, 'table_with_deletion_logs');
    expect(
      await c.rows(
        `SELECT count(*) AS n, count(DISTINCT id) AS ids, min(id) AS lo, max(id) AS hi FROM ${latest}`,
      ),
    ).toEqual([{ n: 98, ids: 98, lo: 10, hi: 109 }]);
    expect(await column(`SELECT count(*) FROM ${latest} WHERE id IN (12, 89)`)).toEqual([0]);
    expect(
      await column(`SELECT count(*) FROM ${await view(FIXTURES, 'table_with_deletion_logs', 2)}`),
    ).toEqual([100]);
    const v3 = await view(FIXTURES, 'table_with_deletion_logs', 3);
    expect(
      await c.rows(`SELECT count(*) AS n, count(*) FILTER (WHERE id = 12) AS gone FROM ${v3}`),
    ).toEqual([{ n: 99, gone: 0 }]);
  });

  it('table_with_column_mapping: logical column names, partition values from the log', async () => {
    const t = await view(FIXTURES, 'table_with_column_mapping');
    expect((await describeRelation(c, t)).map((col) => col.name)).toEqual([
      'Company Very Short',
      'Super Name',
    ]);
    expect(await c.rows(`SELECT * FROM ${t} ORDER BY 1, 2`)).toEqual([
      { 'Company Very Short': 'BME', 'Super Name': 'Timothy Lamb' },
      { 'Company Very Short': 'BMS', 'Super Name': 'Anthony Johnson' },
      { 'Company Very Short': 'BMS', 'Super Name': 'Mr. Daniel Ferguson MD' },
      { 'Company Very Short': 'BMS', 'Super Name': 'Nathan Bennett' },
      { 'Company Very Short': 'BMS', 'Super Name': 'Stephanie Mcgrath' },
    ]);
    expect(await column(`SELECT count(*) FROM ${t} WHERE "Company Very Short" = 'BMS'`)).toEqual([
      4,
    ]);
  });

  it('checkpoint-v2-table: ids 1..44 at version 9, 1..43 at version 8 (its V2 checkpoint)', async () => {
    const latest = await view(FIXTURES, 'checkpoint-v2-table');
    expect(
      await c.rows(
        `SELECT count(*) AS n, sum(id) AS s, min(id) AS lo, max(id) AS hi FROM ${latest}`,
      ),
    ).toEqual([{ n: 44, s: 990, lo: 1, hi: 44 }]);
    expect(
      await column(`SELECT max(id) FROM ${await view(FIXTURES, 'checkpoint-v2-table', 8)}`),
    ).toEqual([43]);
  });
});

describe('deletion vectors on tables written here', () => {
  const protocol: Action = {
    protocol: {
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['deletionVectors'],
      writerFeatures: ['deletionVectors'],
    },
  };

  it('skips 10^5 scattered deleted rows of a 10^6-row file quickly; other files stay on the fast path', async () => {
    const big = await dataFile('dv', 'big.parquet', 'SELECT range AS id FROM range(1000000)');
    const small = await dataFile(
      'dv',
      'small.parquet',
      'SELECT 2000000 + range AS id FROM range(10)',
    );
    const inline = await dataFile(
      'dv',
      'inline.parquet',
      'SELECT 3000000 + range AS id FROM range(10)',
    );
    // Every 10th row, plus a run, of the big file: 100,000 + 1,000 - 100 overlapping.
    const deleted = new Set<number>();
    for (let i = 0; i < 1_000_000; i += 10) deleted.add(i);
    for (let i = 500_000; i < 501_000; i++) deleted.add(i);
    const rows = [...deleted].sort((a, b) => a - b);
    const uuid = 'd2c639aa-8816-431a-aaf6-d3fe2512ff61';
    const { data, entries } = encodeDeletionVectorFile([encodeDeletionVector(rows)]);
    await writeFile(join(dir, 'dv', `deletion_vector_${uuid}.bin`), data);
    const inlineDv = encodeDeletionVector([0, 9]);

    await commit('dv', 0, [
      protocol,
      metaData([field('id', 'long')]),
      { add: big },
      { add: small },
      { add: inline },
    ]);
    await commit('dv', 1, [
      { remove: { path: big.path, dataChange: true } },
      {
        add: {
          ...big,
          deletionVector: {
            storageType: 'u',
            pathOrInlineDv: uuidDescriptorPath(uuid),
            offset: entries[0]!.offset,
            sizeInBytes: entries[0]!.sizeInBytes,
            cardinality: rows.length,
          },
        },
      },
      { remove: { path: inline.path, dataChange: true } },
      {
        add: {
          ...inline,
          deletionVector: {
            storageType: 'i',
            pathOrInlineDv: inlineDescriptorData(inlineDv),
            sizeInBytes: inlineDv.length,
            cardinality: 2,
          },
        },
      },
    ]);

    const started = performance.now();
    const t = await view(dir, 'dv');
    const [stats] = await c.rows(`SELECT count(*) AS n, sum(id) AS s FROM ${t}`);
    const elapsed = performance.now() - started;
    const expectedBig = 1_000_000 - rows.length;
    const sumDeleted = rows.reduce((a, b) => a + b, 0);
    expect(stats).toEqual({
      n: expectedBig + 10 + 8,
      s: (999_999 * 1_000_000) / 2 - sumDeleted + (2_000_000 * 10 + 45) + (3_000_000 * 8 + 36),
    });
    expect(
      await column(`SELECT count(*) FROM ${t} WHERE id IN (0, 500500, 500999, 3000000, 3000009)`),
    ).toEqual([0]);
    // Generous bound for a shared 2-core machine; it takes well under a second alone.
    expect(elapsed).toBeLessThan(15_000);

    const table = await DeltaTable.open(new LocalObjectStore(dir), 'dv');
    const snapshot = await table.snapshot();
    // Without the DVs loaded the SELECT cannot be built: deleted rows would come back.
    expect(() => snapshotSelect(table, snapshot)).toThrow(EngineError);
    // The file without a DV is read without row numbers or a join.
    expect(await prepareSnapshotSelect(table, snapshot)).toMatch(
      /SELECT \* FROM read_parquet\(\['[^']*small\.parquet'\]/,
    );
  });
});

describe('column mapping on tables written here', () => {
  const mapped = (name: string, physical: string, id: number, type: StructField['type']) =>
    field(name, type, {
      'delta.columnMapping.id': id,
      'delta.columnMapping.physicalName': physical,
    });
  const schema = [
    mapped('order id', 'col-1', 1, 'long'),
    mapped('customer', 'col-2', 2, {
      type: 'struct',
      fields: [mapped('first name', 'col-3', 3, 'string'), mapped('tier', 'col-4', 4, 'integer')],
    }),
    mapped('lines', 'col-5', 5, {
      type: 'array',
      elementType: { type: 'struct', fields: [mapped('sku', 'col-6', 6, 'string')] },
      containsNull: true,
    }),
    mapped('attrs', 'col-7', 7, {
      type: 'map',
      keyType: 'string',
      valueType: { type: 'struct', fields: [mapped('val', 'col-8', 8, 'string')] },
      valueContainsNull: true,
    }),
    mapped('added later', 'col-9', 9, 'string'),
    mapped('store', 'col-10', 10, 'string'),
  ];
  const rowsSql = `SELECT * FROM (VALUES
      (1::BIGINT, {'col-3': 'Asha', 'col-4': 2}, [{'col-6': 'A1'}, {'col-6': 'B2'}], MAP {'k': {'col-8': 'x'}}),
      (2::BIGINT, NULL, NULL, NULL)) AS v("col-1", "col-2", "col-5", "col-7")`;
  const fieldIds = `FIELD_IDS {"col-1": 1, "col-2": {__duckdb_field_id: 2, "col-3": 3, "col-4": 4}, "col-5": {__duckdb_field_id: 5, element: {"col-6": 6}}, "col-7": {__duckdb_field_id: 7, value: {"col-8": 8}}}`;

  for (const mode of ['name', 'id']) {
    it(`mode ${mode}: nested renames, partition values by physical name, a column no file has`, async () => {
      const tablePath = `cm_${mode}`;
      // In id mode the file's top-level column names are not the physical names: only their
      // ids match. (Nested fields are matched by physical name in both modes, see scanSelect.)
      const top = (text: string) => text.replace(/"col-([1257])"(?=[,:)])/g, '"other-$1"');
      const sql = mode === 'id' ? top(rowsSql) : rowsSql;
      const ids = mode === 'id' ? top(fieldIds) : fieldIds;
      const add = await dataFile(tablePath, 'aa/part-0.parquet', sql, ids);
      await commit(tablePath, 0, [
        { protocol: { minReaderVersion: 2, minWriterVersion: 5 } },
        metaData(schema, { 'delta.columnMapping.mode': mode }, ['store']),
        { add: { ...add, partitionValues: { 'col-10': 'S1' } } },
      ]);
      const t = await view(dir, tablePath);
      expect(await describeRelation(c, t)).toEqual([
        { name: 'order id', type: 'BIGINT' },
        { name: 'customer', type: 'STRUCT("first name" VARCHAR, tier INTEGER)' },
        { name: 'lines', type: 'STRUCT(sku VARCHAR)[]' },
        { name: 'attrs', type: 'MAP(VARCHAR, STRUCT(val VARCHAR))' },
        { name: 'added later', type: 'VARCHAR' },
        { name: 'store', type: 'VARCHAR' },
      ]);
      expect(await c.rows(`SELECT * FROM ${t} ORDER BY "order id"`)).toEqual([
        {
          'order id': 1,
          customer: { 'first name': 'Asha', tier: 2 },
          lines: [{ sku: 'A1' }, { sku: 'B2' }],
          attrs: { k: { val: 'x' } },
          'added later': null,
          store: 'S1',
        },
        {
          'order id': 2,
          customer: null,
          lines: null,
          attrs: null,
          'added later': null,
          store: 'S1',
        },
      ]);
      expect(
        await column(
          `SELECT customer."first name" FROM ${t} WHERE store = 'S1' AND "order id" = 1`,
        ),
      ).toEqual(['Asha']);
    });
  }
});

describe('type widening on tables written here', () => {
  it('reads older files written with the narrower types as the wider table types', async () => {
    const protocol: Action = {
      protocol: {
        minReaderVersion: 3,
        minWriterVersion: 7,
        readerFeatures: ['typeWidening'],
        writerFeatures: ['typeWidening'],
      },
    };
    const changed = (name: string, from: string, to: string) =>
      field(name, to, { 'delta.typeChanges': [{ fromType: from, toType: to }] });
    const fields = [
      changed('qty', 'integer', 'long'),
      changed('price', 'float', 'double'),
      changed('day', 'date', 'timestamp_ntz'),
      changed('amount', 'decimal(5,2)', 'decimal(10,4)'),
      field('sku', 'string'),
    ];
    const old = await dataFile(
      'tw',
      'old.parquet',
      `SELECT 2147483647::INTEGER AS qty, 1.5::FLOAT AS price, DATE '2026-01-02' AS day, 123.45::DECIMAL(5,2) AS amount, 'a' AS sku`,
    );
    await commit('tw', 0, [
      protocol,
      metaData(fields, { 'delta.enableTypeWidening': 'true' }),
      { add: old },
    ]);
    // Only old files: the view still has the table's (wide) types.
    const onlyOld = await view(dir, 'tw');
    expect((await describeRelation(c, onlyOld)).map((col) => col.type)).toEqual([
      'BIGINT',
      'DOUBLE',
      'TIMESTAMP',
      'DECIMAL(10,4)',
      'VARCHAR',
    ]);

    const wide = await dataFile(
      'tw',
      'new.parquet',
      `SELECT 9000000000::BIGINT AS qty, 2.25::DOUBLE AS price, TIMESTAMP '2026-01-03 04:05:06' AS day, 123456.7891::DECIMAL(10,4) AS amount, 'b' AS sku`,
    );
    await commit('tw', 1, [{ add: wide }]);
    const t = await view(dir, 'tw');
    expect(
      await c.rows(
        `SELECT qty, price, day::VARCHAR AS day, amount::VARCHAR AS amount, sku FROM ${t} ORDER BY sku`,
      ),
    ).toEqual([
      { qty: 2147483647, price: 1.5, day: '2026-01-02 00:00:00', amount: '123.4500', sku: 'a' },
      { qty: 9000000000, price: 2.25, day: '2026-01-03 04:05:06', amount: '123456.7891', sku: 'b' },
    ]);
  });
});
