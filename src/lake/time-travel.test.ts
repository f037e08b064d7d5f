import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeltaTable } from './delta-table.js';
import { TableNotFoundError } from './errors.js';
import { LocalObjectStore } from './local-object-store.js';
import { MemoryObjectStore } from './memory-object-store.js';
import { TimestampOutOfRangeError } from './time-travel.js';

const v = (n: number) => String(n).padStart(20, '0');
const T0 = Date.parse('2026-01-01T00:00:00Z');
const MIN = 60_000;

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'freshet-asof-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const metaData = (configuration: Record<string, string> = {}) => ({
  metaData: {
    id: 'tt',
    format: { provider: 'parquet', options: {} },
    schemaString:
      '{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}]}',
    partitionColumns: [],
    configuration,
  },
});
const add = (name: string) => ({
  add: { path: name, partitionValues: {}, size: 1, modificationTime: 1, dataChange: true },
});

/** Writes commit `version` with the given actions and sets its file's modification time. */
async function commit(version: number, actions: object[], mtime: number): Promise<void> {
  const file = path.join(dir, 't', '_delta_log', `${v(version)}.json`);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, actions.map((a) => JSON.stringify(a)).join('\n'));
  await fs.utimes(file, mtime / 1000, mtime / 1000);
}

describe('snapshotAsOf (time travel by timestamp)', () => {
  it('uses commit file modification times, made monotonic, when there are no in-commit timestamps', async () => {
    const protocol = { protocol: { minReaderVersion: 1, minWriterVersion: 2 } };
    await commit(0, [{ commitInfo: { timestamp: 1 } }, protocol, metaData(), add('a')], T0);
    await commit(1, [add('b')], T0 + 10 * MIN);
    // Clock skew: version 2's file looks older than version 1's; it counts as 1 ms after it.
    await commit(2, [add('c')], T0 + 5 * MIN);
    await commit(3, [add('d')], T0 + 20 * MIN);
    const table = await DeltaTable.open(new LocalObjectStore(dir), 't');

    const versionAsOf = async (t: number) => (await table.snapshotAsOf(t)).version;
    expect(await versionAsOf(T0)).toBe(0);
    expect(await versionAsOf(T0 + 10 * MIN - 1)).toBe(0);
    expect(await versionAsOf(T0 + 10 * MIN)).toBe(1);
    expect(await versionAsOf(T0 + 10 * MIN + 1)).toBe(2);
    expect(await versionAsOf(T0 + 19 * MIN)).toBe(2);
    expect(await versionAsOf(T0 + 365 * 24 * 60 * MIN)).toBe(3);
    expect((await table.snapshotAsOf(T0 + 15 * MIN)).files.map((f) => f.path)).toEqual([
      'a',
      'b',
      'c',
    ]);

    const err = await table.snapshotAsOf(T0 - 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimestampOutOfRangeError);
    expect((err as Error).message).toMatch(
      /no version as of 2025-12-31T23:59:59.999Z: its first commit \(version 0\) was made at 2026-01-01T00:00:00.000Z/,
    );
  });

  it('uses commitInfo.inCommitTimestamp when the table has in-commit timestamps', async () => {
    const protocol = {
      protocol: {
        minReaderVersion: 3,
        minWriterVersion: 7,
        readerFeatures: [],
        writerFeatures: ['inCommitTimestamp'],
      },
    };
    const ict = (ts: number) => ({ commitInfo: { inCommitTimestamp: ts, timestamp: 0 } });
    const config = { 'delta.enableInCommitTimestamps': 'true' };
    // File times say the opposite order: only the in-commit timestamps count.
    await commit(0, [ict(T0), protocol, metaData(config), add('a')], T0 + 50 * MIN);
    for (let i = 1; i <= 6; i++) await commit(i, [ict(T0 + i * MIN), add(`f${i}`)], T0 - i * MIN);
    const table = await DeltaTable.open(new LocalObjectStore(dir), 't');
    expect((await table.snapshotAsOf(T0)).version).toBe(0);
    expect((await table.snapshotAsOf(T0 + 3 * MIN + 30_000)).version).toBe(3);
    expect((await table.snapshotAsOf(T0 + 6 * MIN)).version).toBe(6);
    await expect(table.snapshotAsOf(T0 - 1)).rejects.toThrow(TimestampOutOfRangeError);
  });

  it('mixes both when in-commit timestamps were enabled later (enablement version and time)', async () => {
    const protocol = { protocol: { minReaderVersion: 1, minWriterVersion: 2 } };
    await commit(0, [protocol, metaData(), add('a')], T0);
    await commit(1, [add('b')], T0 + MIN);
    const enabled = {
      'delta.enableInCommitTimestamps': 'true',
      'delta.inCommitTimestampEnablementVersion': '2',
      'delta.inCommitTimestampEnablementTimestamp': String(T0 + 10 * MIN),
    };
    await commit(
      2,
      [{ commitInfo: { inCommitTimestamp: T0 + 10 * MIN } }, metaData(enabled), add('c')],
      T0 + 99 * MIN,
    );
    await commit(3, [{ commitInfo: { inCommitTimestamp: T0 + 11 * MIN } }, add('d')], T0);
    const table = await DeltaTable.open(new LocalObjectStore(dir), 't');
    expect((await table.snapshotAsOf(T0 + 30_000)).version).toBe(0);
    expect((await table.snapshotAsOf(T0 + 5 * MIN)).version).toBe(1);
    expect((await table.snapshotAsOf(T0 + 10 * MIN)).version).toBe(2);
    expect((await table.snapshotAsOf(T0 + 12 * MIN)).version).toBe(3);
  });

  it('refuses a table that does not exist, and a timestamp that is not a number', async () => {
    const table = await DeltaTable.open(new MemoryObjectStore(), 'none');
    await expect(table.snapshotAsOf(T0)).rejects.toThrow(TableNotFoundError);
    await expect(table.snapshotAsOf(Number.NaN)).rejects.toThrow(/ms since the epoch/);
  });
});
