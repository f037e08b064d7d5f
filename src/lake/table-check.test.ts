import { describe, expect, it } from 'vitest';
import type { AddFile } from './actions.js';
import { DeltaTable } from './delta-table.js';
import { MemoryObjectStore } from './memory-object-store.js';
import { structField } from './schema.js';
import { checkTable } from './table-check.js';

/** A table whose files exist in the store with the sizes its log records. */
async function healthy(versions = 4): Promise<{ store: MemoryObjectStore; table: DeltaTable }> {
  const store = new MemoryObjectStore();
  const table = await DeltaTable.open(store, 'bronze/t', { checkpointInterval: 3 });
  await table.create({ schema: { type: 'struct', fields: [structField('id', 'long')] } });
  for (let i = 1; i < versions; i++) {
    const path = `part-${i}.parquet`;
    await store.put(`bronze/t/${path}`, Buffer.alloc(20 + i));
    const add: AddFile = {
      path,
      partitionValues: {},
      size: 20 + i,
      modificationTime: 0,
      dataChange: true,
      stats: JSON.stringify({ numRecords: i, minValues: {}, maxValues: {}, nullCount: {} }),
    };
    await table.append([add]);
  }
  return { store, table };
}

describe('checkTable', () => {
  it('finds nothing wrong with a healthy table', async () => {
    const { table } = await healthy();
    const report = await checkTable(table);
    expect(report).toMatchObject({ version: 3, files: 3, commits: 4, problems: [], warnings: [] });
  });

  it('reports a missing data file and one whose size differs from the log', async () => {
    const { store, table } = await healthy();
    await store.delete('bronze/t/part-1.parquet');
    await store.put('bronze/t/part-2.parquet', Buffer.alloc(5));
    const report = await checkTable(table);
    expect(report.problems).toEqual([
      "file 'part-1.parquet' is missing",
      "file 'part-2.parquet' has 5 bytes, the log records 22",
    ]);
  });

  it('reports a hole in the versions that no checkpoint covers, and an unparseable commit', async () => {
    const { store, table } = await healthy(6); // checkpoint at 3
    await store.delete('bronze/t/_delta_log/00000000000000000004.json');
    await store.put('bronze/t/_delta_log/00000000000000000002.json', Buffer.from('{"add":'));
    const report = await checkTable(table);
    expect(report.problems).toContainEqual('commit file(s) missing for version(s) 4');
    expect(report.problems.some((p) => /^version 2: .*line 1 is not JSON/.test(p))).toBe(true);
    expect(report.problems).toContainEqual(
      'readers stop at version 3 but the log goes up to version 5',
    );
  });

  it('accepts history cleaned up before a checkpoint, and warns about files without statistics', async () => {
    const { store, table } = await healthy(5); // checkpoint at 3
    for (const v of [0, 1, 2])
      await store.delete(`bronze/t/_delta_log/${String(v).padStart(20, '0')}.json`);
    await store.put('bronze/t/x.parquet', Buffer.alloc(3));
    await table.append([
      { path: 'x.parquet', partitionValues: {}, size: 3, modificationTime: 0, dataChange: true },
    ]);
    await store.put('bronze/t/_delta_log/_last_checkpoint', Buffer.from('{"version":99,"size":1}'));
    const report = await checkTable(table);
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual([
      '_last_checkpoint points at version 99, which has no complete checkpoint; readers list the log instead',
      '1 file(s) have no statistics: engines cannot skip them and row counts are unknown',
    ]);
  });

  it('reports statistics that do not parse', async () => {
    const { store, table } = await healthy(1);
    await store.put('bronze/t/y.parquet', Buffer.alloc(3));
    await table.append([
      {
        path: 'y.parquet',
        partitionValues: {},
        size: 3,
        modificationTime: 0,
        dataChange: true,
        stats: '{"numRecords":-1}',
      },
    ]);
    expect((await checkTable(table)).problems).toEqual([
      "file 'y.parquet': statistics have numRecords -1, not a row count",
    ]);
  });
});
