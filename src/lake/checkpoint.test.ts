import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Action, AddFile } from './actions.js';
import { checkpointActions } from './checkpoint-writer.js';
import { CHECKPOINT_COLUMNS } from './checkpoint-schema.js';
import { DeltaTable } from './delta-table.js';
import { LocalObjectStore } from './local-object-store.js';
import { MemoryObjectStore } from './memory-object-store.js';
import type { ObjectStore } from './object-store.js';
import { readParquetColumnsAsJson, writeParquetRows } from './parquet-codec.js';
import { structField } from './schema.js';
import type { Snapshot } from './snapshot.js';
import type { TableSnapshot } from './snapshot.js';

const FIXTURES = fileURLToPath(new URL('../../../shared/testdata/delta-rs/', import.meta.url));
const schema = {
  type: 'struct' as const,
  fields: [structField('id', 'long'), structField('day', 'string')],
};
const v = (n: number) => String(n).padStart(20, '0');

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'freshet-checkpoint-test-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

let n = 0;
function file(day: string | null): AddFile {
  n += 1;
  return {
    path: `day=${day ?? '__HIVE_DEFAULT_PARTITION__'}/part-${n}.parquet`,
    partitionValues: { day },
    size: 10 + n,
    modificationTime: 1_700_000_000_000 + n,
    dataChange: true,
    stats: JSON.stringify({
      numRecords: n,
      minValues: { id: 1 },
      maxValues: { id: n },
      nullCount: { id: 0 },
    }),
    tags: { origin: 'test' },
  };
}

/** What must survive a checkpoint: everything but commitInfo and dataChange flags. */
function essence(s: Snapshot) {
  return {
    version: s.version,
    protocol: s.protocol,
    metadata: s.metadata,
    files: s.files
      .map((f) => ({ ...f, dataChange: undefined }))
      .sort((a, b) => a.path.localeCompare(b.path)),
    txns: [...s.txns().values()].sort((a, b) => a.appId.localeCompare(b.appId)),
    domains: s.domains(),
    tombstones: s.tombstones.map((t) => t.path).sort(),
  };
}

async function deleteCommitsBefore(store: ObjectStore, tablePath: string, version: number) {
  for (let i = 0; i < version; i++) await store.delete(`${tablePath}/_delta_log/${v(i)}.json`);
}

async function buildTable(store: ObjectStore, options = {}): Promise<DeltaTable> {
  const table = await DeltaTable.open(store, 'gold/sales', options);
  await table.create({ schema, partitionColumns: ['day'] });
  await table.append([file('2024-01-01'), file(null)], { txns: [{ appId: 'job-a', version: 1 }] });
  await table.append([file('2024-01-02')], { txns: [{ appId: 'job-b', version: 7 }] });
  await table.commit(
    [{ domainMetadata: { domain: 'freshet.test', configuration: '{"x":1}', removed: false } }],
    {
      operation: 'SET DOMAIN',
      readVersion: 2,
    },
  );
  await table.overwrite([file('2024-01-03')], { txns: [{ appId: 'job-a', version: 2 }] });
  return table;
}

describe.each([
  ['local folder', () => new LocalObjectStore(dir)],
  ['memory (remote-like)', () => new MemoryObjectStore()],
])('checkpoints on a %s', (_name, makeStore) => {
  it('writes a checkpoint and _last_checkpoint that rebuild the same snapshot without the JSON log', async () => {
    const store = makeStore();
    const table = await buildTable(store);
    const before = await table.snapshot();
    expect(await table.checkpoint()).toBe(4);

    const hint = JSON.parse(
      (await store.get('gold/sales/_delta_log/_last_checkpoint'))!.toString(),
    );
    expect(hint).toMatchObject({ version: 4, numOfAddFiles: 1 });
    expect(hint.size).toBe(1 + 1 + 2 + 1 + 1 + 3); // protocol, metaData, txns, domain, add, removes

    // Without the JSON commits 0..3 only the checkpoint can say what the table holds.
    await deleteCommitsBefore(store, 'gold/sales', 4);
    const fresh = await DeltaTable.open(store, 'gold/sales');
    const after = await fresh.snapshot();
    expect(essence(after)).toEqual(essence(before));
    expect(after.txnVersion('job-a')).toBe(2);
    expect(after.domainMetadata('freshet.test')).toBe('{"x":1}');
    expect(after.commitInfo()).toMatchObject({ operation: 'WRITE' });

    // And the log goes on from there.
    await fresh.append([file('2024-01-04')]);
    const next = await (await DeltaTable.open(store, 'gold/sales')).snapshot();
    expect(next.version).toBe(5);
    expect(next.files).toHaveLength(2);
  });
});

describe('checkpoint writing', () => {
  it('checkpoints every N commits (DeltaTable option), the table property winning', async () => {
    const store = new LocalObjectStore(dir);
    const table = await DeltaTable.open(store, 't', { checkpointInterval: 3 });
    await table.create({ schema, partitionColumns: ['day'] });
    for (let i = 0; i < 7; i++) await table.append([file('d')]);
    const names = (await store.list('t/_delta_log/')).map((k) => k.split('/').pop());
    expect(names.filter((x) => x?.includes('.checkpoint.'))).toEqual([
      `${v(3)}.checkpoint.parquet`,
      `${v(6)}.checkpoint.parquet`,
    ]);
    expect(JSON.parse((await store.get('t/_delta_log/_last_checkpoint'))!.toString()).version).toBe(
      6,
    );

    const other = await DeltaTable.open(store, 'u', { checkpointInterval: 3 });
    await other.create({ schema, configuration: { 'delta.checkpointInterval': '2' } });
    await other.append([]);
    await other.append([]);
    expect(await store.get(`u/_delta_log/${v(2)}.checkpoint.parquet`)).not.toBeNull();
    expect(await store.get(`u/_delta_log/${v(3)}.checkpoint.parquet`)).toBeNull();
  });

  it('defaults to a checkpoint every 100 commits', async () => {
    const store = new MemoryObjectStore();
    const table = await DeltaTable.open(store, 't');
    await table.create({ schema });
    for (let i = 0; i < 100; i++) await table.append([]);
    expect((await store.list('t/_delta_log/')).filter((k) => k.includes('.checkpoint.'))).toEqual([
      `t/_delta_log/${v(100)}.checkpoint.parquet`,
    ]);
  });

  it('reports a failed checkpoint without failing the commit', async () => {
    const store = new MemoryObjectStore();
    const errors: number[] = [];
    const table = await DeltaTable.open(store, 't', {
      checkpointInterval: 1,
      onCheckpointError: (_err, version) => errors.push(version),
    });
    await table.create({ schema });
    store.putFile = async () => {
      throw new Error('disk full');
    };
    expect(await table.append([file('x')].map((f) => ({ ...f, partitionValues: {} })))).toBe(1);
    expect(errors).toEqual([1]);
    expect((await table.snapshot()).version).toBe(1);
  });

  it('drops expired tombstones and keeps recent ones', async () => {
    const table = await DeltaTable.open(new MemoryObjectStore(), 't');
    await table.create({
      schema,
      configuration: { 'delta.deletedFileRetentionDuration': 'interval 1 days' },
    });
    const day = 24 * 60 * 60 * 1000;
    const now = Date.now();
    await table.append([
      { ...file('a'), partitionValues: {} },
      { ...file('b'), partitionValues: {} },
    ]);
    const [a, b] = (await table.snapshot()).files;
    await table.commit(
      [
        { remove: { path: a!.path, deletionTimestamp: now - 2 * day, dataChange: true } },
        { remove: { path: b!.path, deletionTimestamp: now - day / 2, dataChange: true } },
      ],
      { operation: 'DELETE', readVersion: 1 },
    );
    const rows = checkpointActions((await table.snapshot()) as TableSnapshot, now);
    const removes = rows.flatMap((r) => ('remove' in r ? [r.remove] : []));
    expect(removes).toEqual([
      { path: b!.path, deletionTimestamp: now - day / 2, dataChange: false },
    ]);
  });

  it('writes the column layout of the protocol (maps, arrays, stats as JSON)', async () => {
    const store = new LocalObjectStore(dir);
    const table = await buildTable(store);
    await table.checkpoint();
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const file = store.localPath(`gold/sales/_delta_log/${v(4)}.checkpoint.parquet`);
    const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`);
    const types = Object.fromEntries(
      described.getRowObjects().map((r) => [r.column_name, r.column_type]),
    );
    conn.closeSync();
    db.closeSync();
    expect(types.add).toBe(
      'STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags MAP(VARCHAR, VARCHAR))',
    );
    expect(types.protocol).toBe(
      'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], writerFeatures VARCHAR[])',
    );
    expect(String(types.metaData)).toContain(
      'partitionColumns VARCHAR[], "configuration" MAP(VARCHAR, VARCHAR)',
    );
    expect(Object.keys(types)).toEqual(Object.keys(CHECKPOINT_COLUMNS));
  });
});

describe('checkpoint reading and fallbacks', () => {
  async function copyFixture(name: string): Promise<LocalObjectStore> {
    await fs.cp(path.join(FIXTURES, name), path.join(dir, name), { recursive: true });
    // Fixture files are read-only; the copies must be writable.
    await fs.chmod(path.join(dir, name, '_delta_log'), 0o755);
    for (const f of await fs.readdir(path.join(dir, name, '_delta_log'))) {
      await fs.chmod(path.join(dir, name, '_delta_log', f), 0o644).catch(() => undefined);
    }
    return new LocalObjectStore(dir);
  }

  it('falls back to listing when _last_checkpoint points at a checkpoint that is gone', async () => {
    const store = await copyFixture('simple_table_with_checkpoint');
    await store.put(
      'simple_table_with_checkpoint/_delta_log/_last_checkpoint',
      Buffer.from('{"version":20,"size":3}'),
    );
    const snap = await (await DeltaTable.open(store, 'simple_table_with_checkpoint')).snapshot();
    expect(snap.version).toBe(10);
    expect(snap.files).toHaveLength(11);
  });

  it('falls back to the JSON log when the checkpoint is damaged', async () => {
    const store = await copyFixture('simple_table_with_checkpoint');
    await store.put(
      `simple_table_with_checkpoint/_delta_log/${v(10)}.checkpoint.parquet`,
      Buffer.from('garbage'),
    );
    await store.put(
      'simple_table_with_checkpoint/_delta_log/_last_checkpoint',
      Buffer.from('not json'),
    );
    const snap = await (await DeltaTable.open(store, 'simple_table_with_checkpoint')).snapshot();
    expect(snap.version).toBe(10);
    expect(snap.files).toHaveLength(11);
  });

  it('updates incrementally across a checkpoint written by someone else', async () => {
    const store = await copyFixture('simple_table_with_checkpoint');
    const log = path.join(dir, 'simple_table_with_checkpoint', '_delta_log');
    const hidden = path.join(dir, 'later');
    await fs.mkdir(hidden);
    for (const name of await fs.readdir(log)) {
      const version = Number(name.slice(0, 20));
      if (name === '_last_checkpoint' || version > 5)
        await fs.rename(path.join(log, name), path.join(hidden, name));
    }
    const table = await DeltaTable.open(store, 'simple_table_with_checkpoint');
    expect((await table.snapshot()).version).toBe(5);
    for (const name of await fs.readdir(hidden))
      await fs.rename(path.join(hidden, name), path.join(log, name));
    const updated = await table.snapshot();
    const fresh = await (await DeltaTable.open(store, 'simple_table_with_checkpoint')).snapshot();
    expect(updated.version).toBe(10);
    expect(updated.files.map((f) => f.path).sort()).toEqual(fresh.files.map((f) => f.path).sort());
  });

  it('reads a multi-part checkpoint, and ignores one with a missing part', async () => {
    const store = new LocalObjectStore(dir);
    const table = await buildTable(store);
    const expected = essence(await table.snapshot());
    const rows: Action[] = checkpointActions((await table.snapshot()) as TableSnapshot, Date.now());
    const half = Math.ceil(rows.length / 2);
    const part = (i: number) =>
      `gold/sales/_delta_log/${v(4)}.checkpoint.000000000${i}.0000000002.parquet`;
    await writeParquetRows(rows.slice(0, half), CHECKPOINT_COLUMNS, store.localPath(part(1)));
    await writeParquetRows(rows.slice(half), CHECKPOINT_COLUMNS, store.localPath(part(2)));
    await deleteCommitsBefore(store, 'gold/sales', 4);

    const viaListing = await (await DeltaTable.open(store, 'gold/sales')).snapshot();
    expect(essence(viaListing)).toEqual(expected);
    await store.put(
      'gold/sales/_delta_log/_last_checkpoint',
      Buffer.from('{"version":4,"size":9,"parts":2}'),
    );
    const viaHint = await (await DeltaTable.open(store, 'gold/sales')).snapshot();
    expect(essence(viaHint)).toEqual(expected);

    // A checkpoint with a missing part must not be used; with the JSON log gone, the table
    // cannot be rebuilt and says so instead of returning a partial state.
    await store.delete(part(2));
    await expect((await DeltaTable.open(store, 'gold/sales')).snapshot()).rejects.toThrow(
      /missing/,
    );
  });

  it('round-trips nulls in maps through the Parquet codec', async () => {
    const out = path.join(dir, 'x.parquet');
    await writeParquetRows(
      [
        {
          add: {
            path: 'p',
            partitionValues: { a: null, b: '1' },
            size: 1,
            modificationTime: 2,
            dataChange: false,
          },
        },
      ],
      CHECKPOINT_COLUMNS,
      out,
    );
    const [row] = await readParquetColumnsAsJson([out], ['add', 'txn']);
    expect(JSON.parse(row!.add!)).toMatchObject({
      partitionValues: { a: null, b: '1' },
      stats: null,
    });
    expect(row!.txn).toBeNull();
  });
});
