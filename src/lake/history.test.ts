import { describe, expect, it } from 'vitest';
import type { AddFile } from './actions.js';
import { DeltaTable } from './delta-table.js';
import { TableNotFoundError } from './errors.js';
import { tableHistory } from './history.js';
import { MemoryObjectStore } from './memory-object-store.js';
import { structField } from './schema.js';

const add = (path: string): AddFile => ({
  path,
  partitionValues: {},
  size: 10,
  modificationTime: 0,
  dataChange: true,
});

describe('tableHistory', () => {
  it('lists commits newest first with operation, parameters, readVersion, blind append, engine and txns', async () => {
    const store = new MemoryObjectStore();
    const t = await DeltaTable.open(store, 'silver/orders');
    await t.create({ schema: { type: 'struct', fields: [structField('id', 'long')] } });
    await t.append([add('a.parquet')], { txns: [{ appId: 'orders-ingest', version: 7 }] });
    await t.overwrite([add('b.parquet')], { commitInfo: { operationMetrics: { numFiles: '1' } } });

    const history = await tableHistory(t);
    expect(history.map((h) => [h.version, h.operation])).toEqual([
      [2, 'WRITE'],
      [1, 'WRITE'],
      [0, 'CREATE TABLE'],
    ]);
    expect(history[0]).toMatchObject({
      operationParameters: { mode: 'Overwrite', partitionBy: '[]' },
      readVersion: 1,
      isBlindAppend: false,
      engineInfo: expect.stringMatching(/^Freshet\//),
      txns: [],
      operationMetrics: { numFiles: '1' },
    });
    expect(history[1]).toMatchObject({
      readVersion: 0,
      isBlindAppend: true,
      txns: [{ appId: 'orders-ingest', version: 7 }],
    });
    expect(history[2]!.readVersion).toBeNull();
    expect(history[0]!.timestamp).toBeGreaterThanOrEqual(history[1]!.timestamp);
    expect((await tableHistory(t, { limit: 1 })).map((h) => h.version)).toEqual([2]);
  });

  it('shows what other writers recorded, and refuses a folder without a log', async () => {
    const store = new MemoryObjectStore();
    await store.put(
      'gold/x/_delta_log/00000000000000000000.json',
      Buffer.from(
        [
          '{"commitInfo":{"timestamp":1700000000000,"operation":"CREATE TABLE","operationParameters":{"isManaged":"false"},"engineInfo":"Apache-Spark/3.5.0 Delta-Lake/3.2.0"}}',
          '{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}',
          '{"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\\"type\\":\\"struct\\",\\"fields\\":[]}","partitionColumns":[],"configuration":{}}}',
        ].join('\n'),
      ),
    );
    const [h] = await tableHistory({ store, tablePath: 'gold/x' });
    expect(h).toMatchObject({
      version: 0,
      timestamp: 1700000000000,
      engineInfo: 'Apache-Spark/3.5.0 Delta-Lake/3.2.0',
      isBlindAppend: null,
    });
    await expect(tableHistory({ store, tablePath: 'gold/none' })).rejects.toBeInstanceOf(
      TableNotFoundError,
    );
  });
});
