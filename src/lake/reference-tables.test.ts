import { existsSync, promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { DeltaTable } from './delta-table.js';
import { columnMappingModeOf, logicalPartitionValues, physicalName } from './column-mapping.js';
import { loadDeletionVectors } from './deletion-vectors.js';
import { UnsupportedFeatureError } from './errors.js';
import { LocalObjectStore } from './local-object-store.js';
import { MemoryObjectStore } from './memory-object-store.js';

/**
 * Tables written by Spark, Databricks and delta-rs (copied from delta-rs's test data, read-only).
 * Expected versions and files come from delta-rs's own tests of the same tables
 * (crates/core/src/lib.rs, crates/core/tests/*, delta-kernel-rs snapshot tests) and, where those
 * assert nothing, from what delta-rs reports for them (test/peers/read_delta.py).
 */
const FIXTURES = fileURLToPath(new URL('../../../shared/testdata/delta-rs/', import.meta.url));

async function open(name: string): Promise<DeltaTable> {
  if (!existsSync(FIXTURES))
    throw new Error(`Reference tables missing: expected them at ${FIXTURES}`);
  return DeltaTable.open(new LocalObjectStore(FIXTURES), name);
}

async function refusal(promise: Promise<unknown>): Promise<UnsupportedFeatureError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnsupportedFeatureError);
  return err as UnsupportedFeatureError;
}

async function rowCount(files: string[]): Promise<number> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const list = files.map((f) => `'${f.replaceAll("'", "''")}'`).join(', ');
  const reader = await conn.runAndReadAll(
    `SELECT count(*)::INTEGER AS n FROM read_parquet([${list}])`,
  );
  const n = Number(reader.getRowObjects()[0]!.n);
  conn.closeSync();
  db.closeSync();
  return n;
}

describe('reading tables written by other engines', () => {
  it('simple_table (Spark): versions 0..4 by replay, tombstones, and the .tmp/ commit ignored', async () => {
    const table = await open('simple_table');
    const latest = await table.snapshot();
    // delta-rs read_simple_table: version 4, these 5 files, 31 tombstones.
    expect(latest.version).toBe(4);
    expect(latest.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    expect(latest.files.map((f) => f.path).sort()).toEqual(
      [
        'part-00000-c1777d7d-89d9-4790-b38a-6ee7e24456b1-c000.snappy.parquet',
        'part-00001-7891c33d-cedc-47c3-88a6-abcfb049d3b4-c000.snappy.parquet',
        'part-00004-315835fe-fb44-4562-98f6-5e6cfa3ae45d-c000.snappy.parquet',
        'part-00007-3a0e4727-de0d-41b6-81ef-5223cf40f025-c000.snappy.parquet',
        'part-00000-2befed33-c358-4768-a43c-3eda0d2a499d-c000.snappy.parquet',
      ].sort(),
    );
    expect(latest.tombstones).toHaveLength(31);
    expect(latest.tombstones.find((t) => t.path.startsWith('part-00006-63ce9deb'))).toEqual({
      path: 'part-00006-63ce9deb-bc0f-482d-b9a1-7e717b67f294-c000.snappy.parquet',
      deletionTimestamp: 1587968596250,
      dataChange: true,
    });
    expect(latest.schema.fields.map((f) => f.name)).toEqual(['id']);
    expect(latest.commitInfo()).toMatchObject({ operation: 'DELETE', readVersion: 3 });
    expect(latest.timestamp).toBe(1587968626537);
    // delta-rs read_simple_table_with_version: versions 0, 2 and 3 have six files each.
    expect((await table.snapshotAt(0)).files.map((f) => f.path).sort()).toEqual(
      [
        'part-00000-a72b1fb3-f2df-41fe-a8f0-e65b746382dd-c000.snappy.parquet',
        'part-00001-c506e79a-0bf8-4e2b-a42b-9731b2e490ae-c000.snappy.parquet',
        'part-00003-508ae4aa-801c-4c2c-a923-f6f89930a5c1-c000.snappy.parquet',
        'part-00004-80938522-09c0-420c-861f-5a649e3d9674-c000.snappy.parquet',
        'part-00006-63ce9deb-bc0f-482d-b9a1-7e717b67f294-c000.snappy.parquet',
        'part-00007-94f725e2-3963-4b00-9e83-e31021a93cf9-c000.snappy.parquet',
      ].sort(),
    );
    expect((await table.snapshotAt(2)).files).toHaveLength(6);
    expect((await table.snapshotAt(3)).files.map((f) => f.path)).toContain(
      'part-00001-bb70d2ba-c196-4df2-9c85-f34969ad3aa9-c000.snappy.parquet',
    );
    // The data is really there: 3 rows after the DELETE (what delta-rs counts too).
    expect(await rowCount(latest.files.map((f) => table.fileUri(f)))).toBe(3);
  });

  it('simple_table_with_checkpoint: version 10 from the Parquet checkpoint, 11 files', async () => {
    const table = await open('simple_table_with_checkpoint');
    const latest = await table.snapshot();
    expect(latest.version).toBe(10);
    expect(latest.files).toHaveLength(11);
    expect(latest.commitInfo()).toBeDefined();
    expect(await rowCount(latest.files.map((f) => table.fileUri(f)))).toBe(11);
    // Time travel to before the checkpoint replays JSON only.
    expect((await table.snapshotAt(1)).files.map((f) => f.path).sort()).toEqual([
      'part-00000-1abe25d3-0da6-46c5-98c1-7a69872fd797-c000.snappy.parquet',
      'part-00000-3810fbe0-9892-431d-bcfd-7de5788dfe8d-c000.snappy.parquet',
    ]);
    expect((await table.snapshotAt(10)).files).toHaveLength(11);
  });

  it('checkpoints (Databricks, partitioned, 13 commits, no checkpoint file): version 12', async () => {
    const snap = await (await open('checkpoints')).snapshot();
    expect(snap.version).toBe(12);
    expect(snap.files).toHaveLength(12);
    expect(snap.partitionColumns).toEqual(['date']);
    expect(snap.schema.fields.map((f) => f.name)).toEqual(['some_struct', 'value', 'ts', 'date']);
  });

  it('with_checkpoint_no_last_checkpoint: finds checkpoint 2 by listing, then replays commit 3', async () => {
    const snap = await (await open('with_checkpoint_no_last_checkpoint')).snapshot();
    expect(snap.version).toBe(3);
    // delta-kernel-rs test_sequential_checkpoint_no_commits: the one file is added by commit 3.
    expect(snap.files.map((f) => f.path)).toEqual([
      'part-00000-70b1dcdf-0236-4f63-a072-124cdbafd8a0-c000.snappy.parquet',
    ]);
  });

  it('latest_not_checkpointed: _last_checkpoint says 2, the table is at 3', async () => {
    const snap = await (await open('latest_not_checkpointed')).snapshot();
    expect(snap.version).toBe(3);
    expect(snap.files).toHaveLength(1);
  });

  it('delta-0.8.0-partitioned: six files under year/month/day folders', async () => {
    const table = await open('delta-0.8.0-partitioned');
    const snap = await table.snapshot();
    expect(snap.version).toBe(0);
    expect(snap.partitionColumns).toEqual(['year', 'month', 'day']);
    // delta-rs read_delta_8_0_table_with_partitions: month=2 -> 2 files, month!=2 -> 4 files.
    expect(snap.files.filter((f) => f.partitionValues.month === '2')).toHaveLength(2);
    expect(snap.files.filter((f) => f.partitionValues.month !== '2')).toHaveLength(4);
    expect(await rowCount(snap.files.map((f) => table.fileUri(f)))).toBe(7);
  });

  it('delta-0.8.0-null-partition: a null partition value under __HIVE_DEFAULT_PARTITION__', async () => {
    const table = await open('delta-0.8.0-null-partition');
    const snap = await table.snapshot();
    expect(snap.files.map((f) => f.partitionValues)).toEqual([{ k: 'A' }, { k: null }]);
    for (const f of snap.files) expect(existsSync(table.fileUri(f))).toBe(true);
  });

  it('delta-2.2.0-partitioned-types: integer and string partition values, with stats', async () => {
    const snap = await (await open('delta-2.2.0-partitioned-types')).snapshot();
    expect(snap.files.map((f) => f.partitionValues)).toEqual([
      { c1: '4', c2: 'c' },
      { c1: '5', c2: 'b' },
      { c1: '6', c2: 'a' },
    ]);
    expect(JSON.parse(snap.files[0]!.stats!)).toMatchObject({
      numRecords: 1,
      minValues: { c3: 5 },
    });
  });

  it('table-without-dv-small: a Databricks table without deletion vectors reads fine', async () => {
    const table = await open('table-without-dv-small');
    const snap = await table.snapshot();
    expect(snap.version).toBe(0);
    expect(await rowCount(snap.files.map((f) => table.fileUri(f)))).toBe(10);
  });

  it('an empty folder is no table', async () => {
    const table = await open('checkpoints_tombstones');
    expect(await table.exists()).toBe(false);
    expect((await table.snapshot()).version).toBe(-1);
  });
});

describe('tables with reader features Freshet implements (rows are checked in src/engine)', () => {
  it('table-with-dv-small: the one file carries a DV deleting rows 0 and 9', async () => {
    const table = await open('table-with-dv-small');
    const snap = await table.snapshot();
    expect(snap.version).toBe(1);
    expect(snap.files).toHaveLength(1);
    // delta-kernel-rs dv tests: the DV of table-with-dv-small deletes the values 0 and 9.
    expect(snap.files[0]!.deletionVector).toEqual({
      storageType: 'u',
      pathOrInlineDv: 'vBn[lx{q8@P<9BNH/isA',
      offset: 1,
      sizeInBytes: 36,
      cardinality: 2,
    });
    expect([...(await loadDeletionVectors(table, snap.files)).values()]).toEqual([[0, 9]]);
    // The add without DV of version 0 was removed by path: one logical file remains.
    expect(snap.tombstones.map((t) => t.path)).toEqual([snap.files[0]!.path]);
  });

  it('table_with_deletion_logs: version 20 from its Parquet checkpoint, DV of two rows', async () => {
    const table = await open('table_with_deletion_logs');
    const snap = await table.snapshot();
    expect(snap.version).toBe(20);
    // delta-rs test_with_deletion_vector: this exact descriptor.
    expect(snap.files.map((f) => [f.path, f.size, f.deletionVector])).toEqual([
      [
        'part-00000-cb251d5e-b665-437a-a9a7-fbfc5137c77d.c000.snappy.parquet',
        10499,
        {
          storageType: 'u',
          pathOrInlineDv: 'Q6Kt3y1b)0MgZSWwPunr',
          offset: 1,
          sizeInBytes: 36,
          cardinality: 2,
        },
      ],
    ]);
    expect([...(await loadDeletionVectors(table, snap.files)).values()]).toEqual([[2, 79]]);
    // Version 3 deleted one row (id 12, row 2) with the table's first DV.
    const v3 = await table.snapshotAt(3);
    expect([...(await loadDeletionVectors(table, v3.files)).values()]).toEqual([[2]]);
    expect((await table.snapshotAt(2)).files[0]!.deletionVector).toBeUndefined();
  });

  it('table-with-domain-metadata (checkpoint only, at version 108): domains and 109 files', async () => {
    const snap = await (await open('table-with-domain-metadata')).snapshot();
    expect(snap.version).toBe(108);
    expect(snap.files).toHaveLength(109);
    expect(
      snap
        .domains()
        .map((d) => d.domain)
        .sort(),
    ).toEqual(['com.databricks.liquid', 'delta.clustering', 'delta.rowTracking']);
  });

  it('table_with_column_mapping (reader version 2, mode name): logical and physical names', async () => {
    const snap = await (await open('table_with_column_mapping')).snapshot();
    expect(columnMappingModeOf(snap.protocol, snap.metadata)).toBe('name');
    expect(snap.schema.fields.map((f) => [f.name, physicalName(f, 'name')])).toEqual([
      ['Company Very Short', 'col-173b4db9-b5ad-427f-9e75-516aae37fbbb'],
      ['Super Name', 'col-3877fd94-0973-4941-ac6b-646849a1ff65'],
    ]);
    // delta-rs test_with_column_mapping: partition values BMS and BME, 4 + 1 records.
    expect(
      snap.files.map((f) => [
        logicalPartitionValues(f, snap.schema, snap.partitionColumns, 'name'),
        (JSON.parse(f.stats!) as { numRecords: number }).numRecords,
      ]),
    ).toEqual([
      [{ 'Company Very Short': 'BMS' }, 4],
      [{ 'Company Very Short': 'BME' }, 1],
    ]);
  });

  it('checkpoint-v2-table: V2 checkpoints in JSON with Parquet sidecars, at 9, 8 and 6', async () => {
    const table = await open('checkpoint-v2-table');
    // delta-rs test_v2_checkpoint_json: version 9. One file per commit 1..4, 6..9.
    const latest = await table.snapshot();
    expect(latest.version).toBe(9);
    expect(latest.files).toHaveLength(8);
    expect(latest.protocol.readerFeatures).toEqual(['v2Checkpoint']);
    // Version 8 comes from its checkpoint alone (7 files in one sidecar), 6 likewise (5 files).
    expect((await table.snapshotAt(8)).files).toHaveLength(7);
    expect((await table.snapshotAt(6)).files).toHaveLength(5);
    expect((await table.snapshotAt(5)).files).toHaveLength(4);
  });
});

describe('refusing what Freshet does not implement', () => {
  it('refuses an unknown reader feature by name', async () => {
    const store = new MemoryObjectStore();
    await store.put(
      't/_delta_log/00000000000000000000.json',
      Buffer.from(
        [
          {
            protocol: {
              minReaderVersion: 3,
              minWriterVersion: 7,
              readerFeatures: ['deletionVectors', 'variantType'],
              writerFeatures: ['deletionVectors', 'variantType'],
            },
          },
          {
            metaData: {
              id: 'x',
              format: { provider: 'parquet', options: {} },
              schemaString: '{"type":"struct","fields":[]}',
              partitionColumns: [],
              configuration: {},
            },
          },
        ]
          .map((a) => JSON.stringify(a))
          .join('\n'),
      ),
    );
    const err = await refusal((await DeltaTable.open(store, 't')).snapshot());
    expect(err.features).toEqual(['variantType']);
  });

  it('refuses writes to tables with deletion vectors, and leaves the fixture untouched', async () => {
    const table = await open('table-with-dv-small');
    const before = await fs.readdir(`${FIXTURES}/table-with-dv-small/_delta_log`);
    const err = await refusal(table.append([]));
    expect(err.access).toBe('write');
    expect(err.features).toEqual(['deletionVectors']);
    expect(await fs.readdir(`${FIXTURES}/table-with-dv-small/_delta_log`)).toEqual(before);
  });

  it('refuses writes to column-mapped and v2-checkpoint tables', async () => {
    expect((await refusal((await open('table_with_column_mapping')).append([]))).features).toEqual([
      'columnMapping',
    ]);
    expect((await refusal((await open('checkpoint-v2-table')).append([]))).features).toContain(
      'v2Checkpoint',
    );
  });
});
