import { describe, expect, it } from 'vitest';
import type { AddFile } from './actions.js';
import { DeltaTable, matchesPartitionFilter, partitionFilterSql } from './delta-table.js';
import { InvalidArgumentError } from './errors.js';
import { tableHistory } from './history.js';
import { MemoryObjectStore } from './memory-object-store.js';
import { structField } from './schema.js';

let n = 0;
const add = (region: string | null, day = '2026-11-24'): AddFile => ({
  path: `region=${region}/day=${day}/part-${++n}.parquet`,
  partitionValues: { region, day },
  size: 10,
  modificationTime: 0,
  dataChange: true,
});

async function table(): Promise<DeltaTable> {
  const t = await DeltaTable.open(new MemoryObjectStore(), 'gold/sales');
  await t.create({
    schema: {
      type: 'struct',
      fields: [
        structField('amount', 'double'),
        structField('region', 'string'),
        structField('day', 'date'),
      ],
    },
    partitionColumns: ['region', 'day'],
  });
  await t.append([add('north'), add('south'), add(null), add('north', '2026-11-25')]);
  return t;
}

describe('DeltaTable.overwritePartitions (replaceWhere)', () => {
  it('replaces only the files of matching partitions', async () => {
    const t = await table();
    const before = (await t.snapshot()).files;
    const fresh = add('north');
    const version = await t.overwritePartitions([fresh], { region: 'north', day: '2026-11-24' });
    expect(version).toBe(2);
    const after = (await t.snapshot()).files.map((f) => f.path);
    expect(after).toEqual([before[1]!.path, before[2]!.path, before[3]!.path, fresh.path]);
    const [h] = await tableHistory(t, { limit: 1 });
    expect(h!.operationParameters).toMatchObject({
      mode: 'Overwrite',
      predicate: JSON.stringify(["`region` = 'north' AND `day` = '2026-11-24'"]),
    });
    expect(h!.isBlindAppend).toBe(false);
  });

  it('matches lists of values and nulls', async () => {
    const t = await table();
    await t.overwritePartitions([], { region: ['south', null] });
    expect((await t.snapshot()).files.map((f) => f.partitionValues.region)).toEqual([
      'north',
      'north',
    ]);
    expect(matchesPartitionFilter({ region: '' }, { region: null })).toBe(true);
    expect(partitionFilterSql({ region: ['a', null], day: [] })).toBe(
      "(`region` = 'a' OR `region` IS NULL) AND FALSE",
    );
  });

  it('refuses files outside the partitions, data columns, and an empty filter', async () => {
    const t = await table();
    await expect(t.overwritePartitions([add('south')], { region: 'north' })).rejects.toThrow(
      /outside the partitions being replaced/,
    );
    await expect(t.overwritePartitions([], { amount: '1' })).rejects.toThrow(
      /only partition columns/,
    );
    await expect(t.overwritePartitions([], {})).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await t.snapshot()).version).toBe(1);
  });

  it('keeps a blind append committed concurrently into the same partition', async () => {
    const t = await table();
    const other = await DeltaTable.open(t.store, t.tablePath);
    const commit = t.commit.bind(t);
    const late = add('north');
    t.commit = async (actions, opts) => {
      await other.append([late]);
      return commit(actions, opts);
    };
    await t.overwritePartitions([add('north')], { region: 'north' });
    expect((await other.snapshot()).files.map((f) => f.path)).toContain(late.path);
  });
});
