import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Action, AddFile } from './actions.js';
import { CHECKPOINT_COLUMNS } from './checkpoint-schema.js';
import { DeltaTable } from './delta-table.js';
import { MemoryObjectStore } from './memory-object-store.js';
import { writeParquetRows } from './parquet-codec.js';

const FIXTURES = fileURLToPath(new URL('../../../shared/testdata/delta-rs/', import.meta.url));
const v = (n: number) => String(n).padStart(20, '0');
const UUID = 'f5ee283b-37c7-46af-b64c-8f77c6a5c43a';

/** A memory store that counts listings (the `_last_checkpoint` fast path lists nothing). */
class CountingStore extends MemoryObjectStore {
  lists = 0;
  override async list(prefix: string): Promise<string[]> {
    this.lists += 1;
    return super.list(prefix);
  }
}

async function copyFixture(name: string, store: MemoryObjectStore, skip = (_: string) => false) {
  const root = path.join(FIXTURES, name);
  for (const entry of await fs.readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const rel = path.relative(root, path.join(entry.parentPath, entry.name));
    if (!skip(rel)) await store.put(`t/${rel}`, await fs.readFile(path.join(root, rel)));
  }
}

async function parquetBytes(rows: object[], columns: Record<string, string>): Promise<Buffer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'freshet-v2-'));
  try {
    await writeParquetRows(rows, columns, path.join(dir, 'f.parquet'));
    return await fs.readFile(path.join(dir, 'f.parquet'));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const V2_COLUMNS = {
  ...CHECKPOINT_COLUMNS,
  checkpointMetadata: 'STRUCT(version BIGINT, tags MAP(VARCHAR, VARCHAR))',
  sidecar:
    'STRUCT(path VARCHAR, sizeInBytes BIGINT, modificationTime BIGINT, tags MAP(VARCHAR, VARCHAR))',
};

const protocol: Action = {
  protocol: {
    minReaderVersion: 3,
    minWriterVersion: 7,
    readerFeatures: ['v2Checkpoint'],
    writerFeatures: ['v2Checkpoint'],
  },
};
const metaData: Action = {
  metaData: {
    id: 'v2',
    format: { provider: 'parquet', options: {} },
    schemaString:
      '{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}]}',
    partitionColumns: [],
    configuration: {},
  },
};
const add = (name: string): AddFile => ({
  path: name,
  partitionValues: {},
  size: 1,
  modificationTime: 1,
  dataChange: false,
});
const ndjson = (actions: object[]) => Buffer.from(actions.map((a) => JSON.stringify(a)).join('\n'));

describe('V2 checkpoints', () => {
  it('checkpoint-v2-table: found through the V2 `_last_checkpoint` hint without listing the log', async () => {
    const store = new CountingStore();
    await copyFixture('checkpoint-v2-table', store);
    const snap = await (await DeltaTable.open(store, 't')).snapshot();
    expect(snap.version).toBe(9);
    expect(snap.files).toHaveLength(8);
    expect(store.lists).toBe(0);
  });

  it('checkpoint-v2-table: with commits 0..8 cleaned up, only the JSON checkpoint and its sidecar remain', async () => {
    const store = new MemoryObjectStore();
    await copyFixture(
      'checkpoint-v2-table',
      store,
      (rel) => /^_delta_log\/0+[0-8]\.json$/.test(rel) || rel.endsWith('_last_checkpoint'),
    );
    const table = await DeltaTable.open(store, 't');
    const snap = await table.snapshot();
    expect(snap.version).toBe(9);
    expect(snap.files).toHaveLength(8);
    expect((await table.snapshotAt(8)).files).toHaveLength(7);
  });

  it('reads a UUID-named Parquet checkpoint and a classic-named V2 one, both with sidecars', async () => {
    for (const name of [`${v(1)}.checkpoint.${UUID}.parquet`, `${v(1)}.checkpoint.parquet`]) {
      const store = new MemoryObjectStore();
      await store.put(`t/_delta_log/${v(1)}.json`, ndjson([{ commitInfo: { operation: 'X' } }]));
      const sidecar = await parquetBytes([{ add: add('a.parquet') }, { add: add('b.parquet') }], {
        add: CHECKPOINT_COLUMNS.add!,
      });
      await store.put('t/_delta_log/_sidecars/s1.parquet', sidecar);
      const checkpoint = await parquetBytes(
        [
          { checkpointMetadata: { version: 1, tags: {} } },
          protocol,
          metaData,
          { sidecar: { path: 's1.parquet', sizeInBytes: sidecar.length, modificationTime: 1 } },
        ],
        V2_COLUMNS,
      );
      await store.put(`t/_delta_log/${name}`, checkpoint);
      const snap = await (await DeltaTable.open(store, 't')).snapshot();
      expect(snap.version).toBe(1);
      expect(snap.files.map((f) => f.path).sort()).toEqual(['a.parquet', 'b.parquet']);
    }
  });

  it('reads a JSON V2 checkpoint without sidecars, and falls back when a sidecar is missing', async () => {
    const store = new MemoryObjectStore();
    await store.put(`t/_delta_log/${v(0)}.json`, ndjson([protocol, metaData, { add: add('a') }]));
    await store.put(`t/_delta_log/${v(1)}.json`, ndjson([{ add: add('b') }]));
    await store.put(
      `t/_delta_log/${v(1)}.checkpoint.${UUID}.json`,
      ndjson([
        { checkpointMetadata: { version: 1 } },
        protocol,
        metaData,
        { add: add('a') },
        { add: add('b') },
      ]),
    );
    expect((await (await DeltaTable.open(store, 't')).snapshot()).files).toHaveLength(2);

    // A checkpoint whose sidecar is gone: the commits still rebuild the version.
    await store.put(
      `t/_delta_log/${v(1)}.checkpoint.${UUID}.json`,
      ndjson([
        protocol,
        metaData,
        { sidecar: { path: 'gone.parquet', sizeInBytes: 1, modificationTime: 1 } },
      ]),
    );
    expect((await (await DeltaTable.open(store, 't')).snapshot()).files.map((f) => f.path)).toEqual(
      ['a', 'b'],
    );
  });
});

describe('log compaction files', () => {
  async function table(compaction: object[]) {
    const store = new MemoryObjectStore();
    await store.put(`t/_delta_log/${v(0)}.json`, ndjson([protocol, metaData, { add: add('a') }]));
    await store.put(`t/_delta_log/${v(1)}.json`, ndjson([{ add: add('b') }]));
    await store.put(
      `t/_delta_log/${v(2)}.json`,
      ndjson([{ remove: { path: 'a', dataChange: true } }, { add: add('c') }]),
    );
    await store.put(
      `t/_delta_log/${v(3)}.json`,
      ndjson([{ commitInfo: { operation: 'LAST' } }, { add: add('d') }]),
    );
    await store.put(`t/_delta_log/${v(1)}.${v(2)}.compacted.json`, ndjson(compaction));
    return { store, table: await DeltaTable.open(store, 't') };
  }

  it('are replayed in place of the commits they cover', async () => {
    const { store, table: t } = await table([
      { add: add('b') },
      { add: add('c') },
      { remove: { path: 'a', dataChange: true } },
    ]);
    // Without commit 1 only the compaction can bridge the gap.
    await store.delete(`t/_delta_log/${v(1)}.json`);
    const snap = await t.snapshot();
    expect(snap.version).toBe(3);
    expect(snap.files.map((f) => f.path).sort()).toEqual(['b', 'c', 'd']);
    expect(snap.commitInfo()).toMatchObject({ operation: 'LAST' });
    // Time travel to the compaction's end uses it too, and reads commitInfo from commit 2.
    expect((await t.snapshotAt(2)).files.map((f) => f.path).sort()).toEqual(['b', 'c']);
  });

  it('a damaged compaction file falls back to the commits', async () => {
    const { table: t } = await table([{ add: { nonsense: true } }]);
    expect((await t.snapshot()).files.map((f) => f.path).sort()).toEqual(['b', 'c', 'd']);
  });
});
