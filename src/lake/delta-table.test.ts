import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AddFile } from './actions.js';
import { DeltaTable } from './delta-table.js';
import {
  CommitConflictError,
  InvalidArgumentError,
  SchemaMismatchError,
  TableNotFoundError,
  UnsupportedFeatureError,
  VersionNotFoundError,
} from './errors.js';
import { findTables } from './find-tables.js';
import { LocalObjectStore } from './local-object-store.js';
import { MemoryObjectStore } from './memory-object-store.js';
import type { ObjectStore } from './object-store.js';
import { structField, type StructType } from './schema.js';

const schema: StructType = {
  type: 'struct',
  fields: [structField('id', 'long'), structField('store', 'string'), structField('day', 'date')],
};

let fileCounter = 0;
function file(partitionValues: Record<string, string | null> = {}): AddFile {
  fileCounter += 1;
  return {
    path: `part-${fileCounter}.parquet`,
    partitionValues,
    size: 100,
    modificationTime: 1_700_000_000_000,
    dataChange: true,
    stats: JSON.stringify({ numRecords: 10, minValues: {}, maxValues: {}, nullCount: {} }),
  };
}

async function newTable(
  store: ObjectStore = new MemoryObjectStore(),
  tablePath = 'bronze/pos',
): Promise<DeltaTable> {
  const table = await DeltaTable.open(store, tablePath);
  await table.create({ schema });
  return table;
}

describe('DeltaTable: create', () => {
  it('writes version 0 with protocol (1, 2), metadata and commitInfo', async () => {
    const store = new MemoryObjectStore();
    const table = await DeltaTable.open(store, 'bronze/pos');
    expect(await table.exists()).toBe(false);
    const snap = await table.create({
      schema,
      partitionColumns: ['day'],
      name: 'pos',
      configuration: { 'delta.appendOnly': 'true' },
    });
    expect(snap.version).toBe(0);
    expect(snap.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    expect(snap.schema).toEqual(schema);
    expect(snap.partitionColumns).toEqual(['day']);
    expect(snap.metadata.name).toBe('pos');
    expect(snap.metadata.configuration).toEqual({ 'delta.appendOnly': 'true' });
    expect(snap.commitInfo()).toMatchObject({
      operation: 'CREATE TABLE',
      engineInfo: 'Freshet/0.1',
    });
    expect(await table.exists()).toBe(true);

    const log = (await store.get('bronze/pos/_delta_log/00000000000000000000.json'))!.toString();
    const kinds = log
      .trim()
      .split('\n')
      .map((l) => Object.keys(JSON.parse(l))[0]);
    expect(kinds).toEqual(['commitInfo', 'protocol', 'metaData']);
  });

  it('is idempotent for the same schema and refuses a different one', async () => {
    const store = new MemoryObjectStore();
    const first = await newTable(store);
    const again = await DeltaTable.open(store, 'bronze/pos');
    expect((await again.create({ schema })).version).toBe(0);
    await first.append([file()]);
    expect((await again.create({ schema })).version).toBe(1);
    await expect(
      again.create({ schema: { type: 'struct', fields: [structField('id', 'string')] } }),
    ).rejects.toThrow(SchemaMismatchError);
    await expect(again.create({ schema, partitionColumns: ['day'] })).rejects.toThrow(
      /partitioned by/,
    );
  });

  it('lets concurrent creators of the same table all succeed with one version 0', async () => {
    const store = new MemoryObjectStore();
    const tables = await Promise.all([1, 2, 3].map(() => DeltaTable.open(store, 't')));
    const snaps = await Promise.all(tables.map((t) => t.create({ schema })));
    expect(snaps.map((s) => s.version)).toEqual([0, 0, 0]);
    expect(new Set(snaps.map((s) => s.metadata.id)).size).toBe(1);
  });

  it('validates the schema', async () => {
    const table = await DeltaTable.open(new MemoryObjectStore(), 't');
    await expect(
      table.create({
        schema: { type: 'struct', fields: [structField('a', 'long'), structField('A', 'long')] },
      }),
    ).rejects.toThrow(/case-insensitive/);
    await expect(table.create({ schema, partitionColumns: ['nope'] })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(
      table.create({ schema: { type: 'struct', fields: [structField('a', 'varchar')] } }),
    ).rejects.toThrow(/unknown type 'varchar'/);
  });

  it('gives timestamp_ntz tables the timestampNtz feature', async () => {
    const table = await DeltaTable.open(new MemoryObjectStore(), 't');
    const snap = await table.create({
      schema: { type: 'struct', fields: [structField('t', 'timestamp_ntz')] },
    });
    expect(snap.protocol).toEqual({
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['timestampNtz'],
      writerFeatures: ['timestampNtz'],
    });
  });
});

describe('DeltaTable: snapshots', () => {
  it('returns version -1 with no files for a table that does not exist', async () => {
    const table = await DeltaTable.open(new MemoryObjectStore(), 'missing');
    const snap = await table.snapshot();
    expect(snap.version).toBe(-1);
    expect(snap.files).toEqual([]);
    await expect(table.snapshotAt(0)).rejects.toThrow(TableNotFoundError);
    await expect(table.append([file()])).rejects.toThrow(TableNotFoundError);
  });

  it('replays adds and removes, and travels back in time', async () => {
    const table = await newTable();
    const [a, b, c] = [file(), file(), file()];
    expect(await table.append([a, b])).toBe(1);
    expect(await table.overwrite([c])).toBe(2);
    expect((await table.snapshot()).files.map((f) => f.path)).toEqual([c.path]);
    expect((await table.snapshotAt(1)).files.map((f) => f.path)).toEqual([a.path, b.path]);
    expect((await table.snapshotAt(0)).files).toEqual([]);
    const reopened = await DeltaTable.open(table.store, table.tablePath);
    expect((await reopened.snapshotAt(1)).files.map((f) => f.path)).toEqual([a.path, b.path]);
    await expect(reopened.snapshotAt(3)).rejects.toThrow(VersionNotFoundError);
    const latest = await reopened.snapshot();
    expect(latest.tombstones.map((t) => t.path).sort()).toEqual([a.path, b.path].sort());
    expect(latest.commitInfo()).toMatchObject({
      operation: 'WRITE',
      operationParameters: { mode: 'Overwrite' },
      readVersion: 1,
      isBlindAppend: false,
    });
  });

  it('picks up commits written by another DeltaTable instance incrementally', async () => {
    const store = new MemoryObjectStore();
    const reader = await newTable(store);
    const writer = await DeltaTable.open(store, 'bronze/pos');
    const before = await reader.snapshot();
    await writer.append([file()]);
    await writer.append([file()]);

    // Count object reads: an up-to-date reader must read only the new commits, not the log.
    let gets = 0;
    const get = store.get.bind(store);
    store.get = async (key) => {
      gets += 1;
      return get(key);
    };
    const after = await reader.snapshot();
    expect(after.version).toBe(2);
    expect(after.files).toHaveLength(2);
    expect(gets).toBeLessThanOrEqual(4);
    expect(before.version).toBe(0);
    expect(before.files).toHaveLength(0);

    gets = 0;
    expect(await reader.snapshot()).toBe(after);
    expect(gets).toBe(1);
  });

  it('reports the commit timestamp and the txn versions', async () => {
    const table = await newTable();
    const t0 = Date.now();
    await table.append([file()], { txns: [{ appId: 'pos-ingest', version: 7 }] });
    await table.append([file()], {
      txns: [
        { appId: 'pos-ingest', version: 9 },
        { appId: 'other', version: 1 },
      ],
    });
    const fresh = await DeltaTable.open(table.store, table.tablePath);
    const snap = await fresh.snapshot();
    expect(snap.txnVersion('pos-ingest')).toBe(9);
    expect(snap.txnVersion('other')).toBe(1);
    expect(snap.txnVersion('unknown')).toBeUndefined();
    expect(snap.timestamp).toBeGreaterThanOrEqual(t0);
    expect(snap.txns().get('pos-ingest')?.lastUpdated).toBeGreaterThanOrEqual(t0);
  });

  it('refuses to read a table with a reader feature it lacks, naming the feature', async () => {
    const store = new MemoryObjectStore();
    const table = await newTable(store);
    await store.putIfAbsent(
      'bronze/pos/_delta_log/00000000000000000001.json',
      Buffer.from(
        JSON.stringify({
          protocol: {
            minReaderVersion: 3,
            minWriterVersion: 7,
            readerFeatures: ['variantType'],
            writerFeatures: ['variantType'],
          },
        }),
      ),
    );
    await expect(table.snapshot()).rejects.toThrow(UnsupportedFeatureError);
    const fresh = await DeltaTable.open(store, 'bronze/pos');
    await expect(fresh.snapshot()).rejects.toThrow(/variantType/);
    expect((await fresh.snapshotAt(0)).version).toBe(0);
  });
});

describe('DeltaTable: commits', () => {
  it('records commitInfo with Freshet fields and the caller extras', async () => {
    const table = await newTable();
    await table.append([file()], {
      commitInfo: { operationMetrics: { numFiles: '1' }, operation: 'X' },
    });
    expect((await table.snapshot()).commitInfo()).toMatchObject({
      operation: 'WRITE',
      operationParameters: { mode: 'Append', partitionBy: '[]' },
      readVersion: 0,
      isBlindAppend: true,
      engineInfo: 'Freshet/0.1',
      operationMetrics: { numFiles: '1' },
    });
  });

  it('checks partition values against the partition columns', async () => {
    const table = await DeltaTable.open(new MemoryObjectStore(), 't');
    await table.create({ schema, partitionColumns: ['day'] });
    await expect(table.append([file()])).rejects.toThrow(/partitioned by \[day\]/);
    expect(await table.append([file({ day: '2024-01-01' }), file({ day: null })])).toBe(1);
  });

  it('enforces delta.appendOnly', async () => {
    const table = await DeltaTable.open(new MemoryObjectStore(), 't');
    await table.create({ schema, configuration: { 'delta.appendOnly': 'true' } });
    await table.append([file()]);
    await expect(table.overwrite([file()])).rejects.toThrow(/append-only/);
  });

  it('rejects malformed commits before writing anything', async () => {
    const table = await newTable();
    const base = { operation: 'WRITE', readVersion: 0 };
    const f = file();
    await expect(table.commit([{ add: f }, { add: f }], base)).rejects.toThrow(/added twice/);
    await expect(table.commit([{ commitInfo: {} }], base)).rejects.toThrow(/opts.commitInfo/);
    await expect(table.commit([{ add: file() }], { ...base, readVersion: 5 })).rejects.toThrow(
      /newer than/,
    );
    await expect(
      table.commit([{ add: file() }], {
        ...base,
        txns: [
          { appId: 'a', version: 1 },
          { appId: 'a', version: 2 },
        ],
      }),
    ).rejects.toThrow(/twice/);
    await expect(
      table.commit([{ add: { ...file(), path: '/abs/x.parquet' } }], base),
    ).rejects.toThrow(/relative/);
    expect((await table.snapshot()).version).toBe(0);
  });

  it('detects a conflict with a commit that landed after the read version', async () => {
    const table = await newTable();
    const a = file();
    await table.append([a]);
    const stale = await table.snapshot();
    await table.overwrite([file()]);
    const err = await table
      .commit([{ remove: { path: a.path, deletionTimestamp: Date.now(), dataChange: true } }], {
        operation: 'DELETE',
        readVersion: stale.version,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommitConflictError);
    expect((err as Error).message).toMatch(/already removed file/);
  });
});

describe('DeltaTable: data files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'freshet-table-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function writeParquet(rows: number): Promise<string> {
    const file = path.join(dir, `incoming-${Math.random().toString(36).slice(2)}.parquet`);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    await conn.run(`COPY (SELECT range AS id FROM range(${rows})) TO '${file}' (FORMAT parquet)`);
    conn.closeSync();
    db.closeSync();
    return file;
  }

  it('stages a Parquet file into partition folders and resolves it back to a local path', async () => {
    const store = new LocalObjectStore(path.join(dir, 'lake'));
    const table = await DeltaTable.open(store, 'silver/sales');
    await table.create({ schema, partitionColumns: ['store', 'day'] });
    const incoming = await writeParquet(3);
    const add = await table.stageDataFile(incoming, {
      partitionValues: { day: '2024-01-01', store: 'north: east' },
    });
    expect(add.path).toMatch(
      /^store=north%253A%20east\/day=2024-01-01\/part-00000-[0-9a-f-]{36}-c000\.snappy\.parquet$/,
    );
    expect(add.partitionValues).toEqual({ store: 'north: east', day: '2024-01-01' });
    expect(JSON.parse(add.stats!)).toMatchObject({ numRecords: 3 });
    expect(add.dataChange).toBe(true);
    const local = table.fileUri(add);
    expect(
      local.startsWith(
        path.join(dir, 'lake', 'silver', 'sales', 'store=north%3A east', 'day=2024-01-01'),
      ),
    ).toBe(true);
    expect((await fs.stat(local)).size).toBe(add.size);
    await expect(fs.access(incoming)).rejects.toThrow();
    await table.append([add]);
    expect((await table.snapshot()).files).toEqual([add]);
  });

  it('refuses to stage a file that is not Parquet', async () => {
    const table = await newTable(new LocalObjectStore(path.join(dir, 'lake')));
    const bogus = path.join(dir, 'x.parquet');
    await fs.writeFile(bogus, 'not parquet');
    await expect(table.stageDataFile(bogus)).rejects.toThrow(/not a readable Parquet file/);
  });

  it('gives absolute file: paths and remote URLs through', async () => {
    const table = await newTable();
    expect(table.fileUri({ path: 'file:///data/x.parquet' })).toBe('/data/x.parquet');
    expect(table.fileUri({ path: 'a%20b.parquet' })).toBe('memory:///bronze/pos/a b.parquet');
  });
});

describe('findTables', () => {
  it('finds the folders that hold a Delta log', async () => {
    const store = new MemoryObjectStore();
    await newTable(store, 'bronze/pos');
    await newTable(store, 'bronze/inventory');
    await newTable(store, 'gold/daily_sales');
    await store.put('bronze/not_a_table/_delta_log/readme.txt', Buffer.from(''));
    await store.put('bronze/pos/part-0.parquet', Buffer.from(''));
    expect(await findTables(store)).toEqual(['bronze/inventory', 'bronze/pos', 'gold/daily_sales']);
    expect(await findTables(store, 'bronze')).toEqual(['bronze/inventory', 'bronze/pos']);
    expect(await findTables(store, 'bronze/pos')).toEqual(['bronze/pos']);
    expect(await findTables(store, 'silver/')).toEqual([]);
  });
});

describe('DeltaTable: schema changes with a write', () => {
  const wider: StructType = {
    type: 'struct',
    fields: [...schema.fields, structField('units_voided', 'long')],
  };

  it('an append may add a nullable column: the same commit moves the table to the wider schema', async () => {
    const table = await newTable();
    await table.append([file()]);
    expect(await table.append([file()], { schema })).toBe(2); // unchanged: no metaData
    const v = await table.append([file()], { schema: wider });
    const snapshot = await table.snapshot();
    expect(snapshot.version).toBe(v);
    expect(snapshot.schema.fields.map((f) => f.name)).toEqual([
      'id',
      'store',
      'day',
      'units_voided',
    ]);
    // The table's identity is kept: same id, same partitioning.
    expect(snapshot.metadata.id).toBe((await table.snapshotAt(0)).metadata.id);
    expect(snapshot.files).toHaveLength(3);
  });

  it('an append may not drop or retype a column, nor add a required one; an overwrite may', async () => {
    const table = await newTable();
    const narrower: StructType = { type: 'struct', fields: schema.fields.slice(0, 2) };
    await expect(table.append([file()], { schema: narrower })).rejects.toThrow(SchemaMismatchError);
    await expect(table.append([file()], { schema: narrower })).rejects.toThrow(
      /column 'day' is missing; overwrite the table to change it/,
    );
    const required: StructType = {
      type: 'struct',
      fields: [...schema.fields, structField('must', 'long', { nullable: false })],
    };
    await expect(table.append([file()], { schema: required })).rejects.toThrow(/must be nullable/);
    expect((await table.snapshot()).version).toBe(0); // nothing was committed
    await table.overwrite([file()], { schema: narrower });
    expect((await table.snapshot()).schema.fields.map((f) => f.name)).toEqual(['id', 'store']);
  });
});
