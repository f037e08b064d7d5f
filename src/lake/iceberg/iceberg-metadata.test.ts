import { execFile, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLogPath } from '../data-file-paths.js';
import { DeltaTable } from '../delta-table.js';
import { LocalObjectStore } from '../local-object-store.js';
import { MemoryObjectStore } from '../memory-object-store.js';
import { structField, type StructType } from '../schema.js';
import type { Snapshot } from '../snapshot.js';
import { writeIcebergMetadata } from './iceberg-metadata.js';

/**
 * Iceberg metadata for Delta tables. The proof is PyIceberg (test/peers/read_iceberg.py) reading
 * the table from Freshet's metadata and agreeing row for row with DuckDB reading the same Delta
 * snapshot; the metadata's own shape is checked in memory.
 */

const SCRIPT = fileURLToPath(new URL('../../../test/peers/read_iceberg.py', import.meta.url));
const run = promisify(execFile);
const hasPyiceberg = spawnSync('python3', ['-c', 'import pyiceberg, pyarrow']).status === 0;
const inCI = Boolean(process.env.CI);
if (!hasPyiceberg && !inCI) {
  console.warn(
    '\n*** SKIPPING the PyIceberg interop tests: python3 cannot import pyiceberg/pyarrow. ***\n' +
      "*** Install them (pip install 'pyiceberg[pyarrow]') to prove Iceberg readers read Freshet tables. ***\n",
  );
}

interface IcebergView {
  format_version: number;
  snapshot_id: number;
  fields: string[];
  partition_fields: string[];
  planned_files: number;
  num_rows: number;
  rows: unknown[][];
}

async function readWithPyiceberg(metadataPath: string, ...args: string[]): Promise<IcebergView> {
  try {
    const { stdout } = await run('python3', [SCRIPT, metadataPath, ...args], {
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(stdout) as IcebergView;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(
      `pyiceberg failed to read ${metadataPath}: ${stderr || (err as Error).message}`,
    );
  }
}

const schema: StructType = {
  type: 'struct',
  fields: [
    structField('id', 'long', { nullable: false }),
    structField('store', 'string'),
    structField('qty', 'integer'),
    structField('amount', 'double'),
    structField('sold_at', 'timestamp'),
    structField('day', 'date'),
    structField('note', 'string'),
    structField('region', 'string'),
  ],
};

let dir: string;
let db: DuckDBInstance;
let conn: DuckDBConnection;
let nextId = 0;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'freshet-iceberg-'));
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
});
afterAll(async () => {
  conn?.closeSync();
  db?.closeSync();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

/** A data file as an engine writes it (the partition column lives in the log), with stats. */
async function stage(table: DeltaTable, rows: number, region?: string | null) {
  const file = path.join(dir, `incoming-${nextId}.parquet`);
  const first = nextId;
  await conn.run(
    `COPY (SELECT (range + ${first})::BIGINT AS id, 'store-' || (range % 7) AS store,
                  (range % 5)::INTEGER AS qty, (range * 1.5)::DOUBLE AS amount,
                  TIMESTAMPTZ '2024-03-01 09:00:00.123456+00' + to_minutes(range + ${first}) AS sold_at,
                  DATE '2024-03-01' + (range % 3)::INTEGER AS day,
                  CASE WHEN range % 4 = 0 THEN NULL ELSE 'n' || range END AS note
           FROM range(${rows})) TO '${file}' (FORMAT parquet)`,
  );
  nextId += rows;
  const last = first + rows - 1;
  const stats = {
    numRecords: rows,
    minValues: { id: first, store: 'store-0', sold_at: '2024-03-01T09:00:00.123Z' },
    maxValues: { id: last, store: `store-${Math.min(6, rows - 1)}` },
    nullCount: { id: 0, note: Math.ceil(rows / 4) },
  };
  return table.stageDataFile(file, {
    stats,
    ...(region === undefined ? {} : { partitionValues: { region } }),
  });
}

/** What DuckDB reads from the Delta snapshot, in read_iceberg.py's value conventions. */
async function duckRows(table: DeltaTable, snap: Snapshot): Promise<unknown[][]> {
  const parts = snap.files.map((f) => {
    const file = table.fileUri(f).replaceAll("'", "''");
    const region = snap.partitionColumns.includes('region')
      ? f.partitionValues.region === null || f.partitionValues.region === undefined
        ? 'NULL::VARCHAR'
        : `'${f.partitionValues.region.replaceAll("'", "''")}'`
      : null;
    return `SELECT *${region === null ? '' : `, ${region} AS region`} FROM read_parquet('${file}')`;
  });
  const names = snap.schema.fields.map((f) => f.name);
  const select = names
    .map((n) =>
      n === 'sold_at' ? 'epoch_us(sold_at) AS sold_at' : n === 'day' ? 'day::VARCHAR AS day' : n,
    )
    .join(', ');
  const reader = await conn.runAndReadAll(
    `SELECT ${select} FROM (${parts.join(' UNION ALL ')}) ORDER BY id`,
  );
  return reader.getRowObjects().map((r) =>
    names.map((n) => {
      const v = r[n];
      return typeof v === 'bigint' ? Number(v) : (v ?? null);
    }),
  );
}

describe('writeIcebergMetadata (metadata shape)', () => {
  it('writes metadata JSON, a manifest list and manifests with field ids, deterministically', async () => {
    const store = new MemoryObjectStore();
    const table = await DeltaTable.open(store, 'gold/sales');
    await table.create({ schema, partitionColumns: ['region'] });
    await table.append([await stage(table, 10, 'north'), await stage(table, 3, null)]);

    const result = await writeIcebergMetadata(table);
    expect(result).toEqual({
      metadataPath: 'memory:///gold/sales/metadata/v1.metadata.json',
      metadataKey: 'gold/sales/metadata/v1.metadata.json',
      version: 1,
    });
    const keys = await store.list('gold/sales/metadata/');
    expect(keys).toContain('gold/sales/metadata/version-hint.text');
    expect((await store.get('gold/sales/metadata/version-hint.text'))?.toString()).toBe('1');

    const metadata = JSON.parse((await store.get(result.metadataKey))!.toString());
    expect(metadata['format-version']).toBe(2);
    expect(metadata['table-uuid']).toBe((await table.snapshot()).metadata.id);
    expect(
      metadata.schemas[0].fields.map((f: { id: number; name: string }) => [f.id, f.name]),
    ).toEqual([
      [1, 'id'],
      [2, 'store'],
      [3, 'qty'],
      [4, 'amount'],
      [5, 'sold_at'],
      [6, 'day'],
      [7, 'note'],
      [8, 'region'],
    ]);
    expect(metadata.schemas[0].fields[0]).toMatchObject({ required: true, type: 'long' });
    expect(metadata.schemas[0].fields[4].type).toBe('timestamptz');
    expect(metadata['partition-specs'][0].fields).toEqual([
      { name: 'region', transform: 'identity', 'source-id': 8, 'field-id': 1000 },
    ]);
    expect(JSON.parse(metadata.properties['schema.name-mapping.default'])[0]).toEqual({
      'field-id': 1,
      names: ['id'],
    });

    // The manifest carries the entries, typed partition values and bounds.
    const listKey = keys.find((k) => /snap-\d+\.avro$/.test(k))!;
    const manifestList = await decodeAvro(await store.get(listKey));
    expect(manifestList.records).toHaveLength(1);
    expect(manifestList.records[0]).toMatchObject({
      added_files_count: 2,
      added_rows_count: 13,
      partitions: [{ contains_null: true }],
    });
    const manifestKey = keys.find((k) => /-m0\.avro$/.test(k))!;
    const manifest = await decodeAvro(await store.get(manifestKey));
    expect(JSON.parse(manifest.header['avro.schema']!).fields[0]['field-id']).toBe(0);
    expect(manifest.header['format-version']).toBe('2');
    const entries = manifest.records as {
      data_file: {
        partition: { region: string | null };
        record_count: number;
        file_path: string;
        lower_bounds: { key: number; value: Buffer }[];
        upper_bounds: { key: number; value: Buffer }[];
      };
    }[];
    expect(entries.map((e) => e.data_file.partition.region)).toEqual(['north', null]);
    expect(entries.map((e) => e.data_file.record_count)).toEqual([10, 3]);
    expect(entries[0]!.data_file.file_path).toMatch(/^memory:\/\/\/gold\/sales\/region=north\//);
    const lowerId = entries[0]!.data_file.lower_bounds.find((b) => b.key === 1)!.value;
    expect(lowerId.readBigInt64LE()).toBe(0n);
    // Bounds only where the stats have them (here no max of sold_at).
    expect(entries[0]!.data_file.upper_bounds.map((b) => b.key)).toEqual([1, 2]);

    // Idempotent: the same version again changes nothing.
    const before = await Promise.all(keys.map((k) => store.get(k)));
    expect(await writeIcebergMetadata(table)).toEqual(result);
    expect(await store.list('gold/sales/metadata/')).toEqual(keys);
    expect(await Promise.all(keys.map((k) => store.get(k)))).toEqual(before);
  });

  it('refuses files with deletion vectors instead of exposing deleted rows', async () => {
    const store = new MemoryObjectStore();
    const table = await DeltaTable.open(store, 't');
    await table.create({ schema: { type: 'struct', fields: [structField('id', 'long')] } });
    await table.append([await stage(table, 1)]);
    const snap = await table.snapshot();
    const fake: Snapshot = Object.create(snap, {
      files: {
        value: [
          {
            ...snap.files[0],
            path: 'x.parquet',
            partitionValues: {},
            size: 1,
            modificationTime: 0,
            dataChange: true,
            deletionVector: {
              storageType: 'i',
              pathOrInlineDv: 'x',
              sizeInBytes: 1,
              cardinality: 1,
            },
          },
        ],
      },
    });
    await expect(writeIcebergMetadata(table, fake)).rejects.toThrow(/deletion vectors/);
  });
});

describe.skipIf(!hasPyiceberg && !inCI)(
  'PyIceberg reads the Iceberg metadata of a Delta table',
  () => {
    beforeAll(() => {
      if (!hasPyiceberg) {
        throw new Error("CI must run the Iceberg interop tests: pip install 'pyiceberg[pyarrow]'.");
      }
    });

    it('agrees row for row with DuckDB on a partitioned table, after appends and an overwrite', async () => {
      nextId = 0;
      const store = new LocalObjectStore(path.join(dir, 'lake'));
      const table = await DeltaTable.open(store, 'gold/daily_sales');
      await table.create({ schema, partitionColumns: ['region'] });
      await table.append([await stage(table, 10, 'north'), await stage(table, 5, 'south: east/2')]);
      await table.append([await stage(table, 3, null)]);

      const v2 = await writeIcebergMetadata(table);
      expect(v2.metadataPath).toBe(store.localPath('gold/daily_sales/metadata/v2.metadata.json'));
      const theirs = await readWithPyiceberg(v2.metadataPath);
      const snap2 = await table.snapshot();
      expect(theirs).toMatchObject({
        format_version: 2,
        fields: schema.fields.map((f) => f.name),
        partition_fields: ['region'],
        planned_files: 3,
        num_rows: 18,
      });
      expect(theirs.rows).toEqual(await duckRows(table, snap2));

      // The bounds are right and used: a filter on id prunes to the one file that can match.
      const filtered = await readWithPyiceberg(v2.metadataPath, '--filter', 'id >= 16');
      expect(filtered.planned_files).toBe(1);
      expect(filtered.rows.map((r) => r[0])).toEqual([16, 17]);
      // So is the partition: south's rows only.
      const south = await readWithPyiceberg(
        v2.metadataPath,
        '--filter',
        "region == 'south: east/2'",
      );
      expect(south.planned_files).toBe(1);
      expect(south.num_rows).toBe(5);

      await table.overwrite([await stage(table, 4, 'west'), await stage(table, 2, 'north')]);
      const v3 = await writeIcebergMetadata(table);
      const after = await readWithPyiceberg(v3.metadataPath);
      expect(after.num_rows).toBe(6);
      expect(after.rows).toEqual(await duckRows(table, await table.snapshot()));
      expect(after.snapshot_id).not.toBe(theirs.snapshot_id);
      // The older version's metadata still reads as it was (its files are not vacuumed yet).
      expect((await readWithPyiceberg(v2.metadataPath)).rows).toEqual(theirs.rows);
      expect(
        await fs.readFile(
          path.join(store.localPath('gold/daily_sales'), 'metadata/version-hint.text'),
          'utf8',
        ),
      ).toBe('3');
      // Readers that find a table by its folder follow version-hint.text to the newest version.
      const byFolder = await readWithPyiceberg(store.localPath('gold/daily_sales'));
      expect(byFolder.snapshot_id).toBe(after.snapshot_id);
      expect(byFolder.rows).toEqual(after.rows);

      // The same Parquet files, not copies.
      const dataFiles = (await store.list('gold/daily_sales/')).filter((k) =>
        k.endsWith('.parquet'),
      );
      expect(dataFiles).toHaveLength(5);
      expect(
        snap2.files
          .map((f) => decodeLogPath(f.path))
          .every((p) => dataFiles.includes(`gold/daily_sales/${p}`)),
      ).toBe(true);
    });

    it('reads nested columns by name, and date and timestamp partitions from the manifests', async () => {
      const store = new LocalObjectStore(path.join(dir, 'lake3'));
      const table = await DeltaTable.open(store, 'gold/nested');
      await table.create({
        schema: {
          type: 'struct',
          fields: [
            structField('id', 'long'),
            structField('tags', { type: 'array', elementType: 'string', containsNull: true }),
            structField('attrs', {
              type: 'map',
              keyType: 'string',
              valueType: 'long',
              valueContainsNull: true,
            }),
            structField('addr', {
              type: 'struct',
              fields: [structField('city', 'string'), structField('zip', 'integer')],
            }),
            structField('day', 'date'),
            structField('hour', 'timestamp'),
          ],
        },
        partitionColumns: ['day', 'hour'],
      });
      const adds = [];
      for (const [i, day, hour] of [
        [0, '2024-03-01', '2024-03-01 09:00:00'],
        [1, '2024-03-02', null],
      ] as const) {
        const file = path.join(dir, `nested-${i}.parquet`);
        await conn.run(
          `COPY (SELECT ${i}::BIGINT AS id, ['a', NULL, 'c'] AS tags, MAP {'k': ${i}::BIGINT} AS attrs,
                      {'city': 'Pune', 'zip': 411001 + ${i}} AS addr) TO '${file}' (FORMAT parquet)`,
        );
        adds.push(await table.stageDataFile(file, { partitionValues: { day, hour } }));
      }
      await table.append(adds);
      const theirs = await readWithPyiceberg((await writeIcebergMetadata(table)).metadataPath);
      expect(theirs.partition_fields).toEqual(['day', 'hour']);
      expect(theirs.rows).toEqual([
        [
          0,
          ['a', null, 'c'],
          [['k', 0]],
          { city: 'Pune', zip: 411001 },
          '2024-03-01',
          Date.UTC(2024, 2, 1, 9) * 1000,
        ],
        [1, ['a', null, 'c'], [['k', 1]], { city: 'Pune', zip: 411002 }, '2024-03-02', null],
      ]);
      const pruned = await readWithPyiceberg(
        (await writeIcebergMetadata(table)).metadataPath,
        '--filter',
        "day == '2024-03-02'",
      );
      expect(pruned).toMatchObject({ planned_files: 1, num_rows: 1 });
    });

    it('reads an unpartitioned table and an empty one', async () => {
      const store = new LocalObjectStore(path.join(dir, 'lake2'));
      const unpartitioned: StructType = {
        type: 'struct',
        fields: schema.fields.filter((f) => f.name !== 'region'),
      };
      const table = await DeltaTable.open(store, 'silver/orders');
      await table.create({ schema: unpartitioned });
      const empty = await readWithPyiceberg((await writeIcebergMetadata(table)).metadataPath);
      expect(empty).toMatchObject({ num_rows: 0, partition_fields: [], planned_files: 0 });

      await table.append([await stage(table, 7), await stage(table, 2)]);
      const theirs = await readWithPyiceberg((await writeIcebergMetadata(table)).metadataPath);
      expect(theirs.num_rows).toBe(9);
      expect(theirs.rows).toEqual(await duckRows(table, await table.snapshot()));
    });
  },
);

async function decodeAvro(
  bytes: Buffer | null,
): Promise<{ header: Record<string, string>; records: Record<string, unknown>[] }> {
  if (!bytes) throw new Error('missing Avro file');
  const decoder = new avro.streams.BlockDecoder();
  const records: Record<string, unknown>[] = [];
  let header: Record<string, string> = {};
  decoder.on('metadata', (_type: unknown, _codec: unknown, h: { meta: Record<string, Buffer> }) => {
    header = Object.fromEntries(Object.entries(h.meta).map(([k, v]) => [k, v.toString('utf8')]));
  });
  decoder.on('data', (r: Record<string, unknown>) => records.push(r));
  const done = new Promise((resolve, reject) => decoder.on('end', resolve).on('error', reject));
  decoder.end(bytes);
  await done;
  return { header, records };
}
