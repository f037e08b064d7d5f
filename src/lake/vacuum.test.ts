import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeLogPath } from './data-file-paths.js';
import { DeltaTable } from './delta-table.js';
import { InvalidArgumentError } from './errors.js';
import { tableHistory } from './history.js';
import { LocalObjectStore } from './local-object-store.js';
import { structField } from './schema.js';
import { isHidden, vacuum } from './vacuum.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'freshet-vacuum-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const schema = { type: 'struct' as const, fields: [structField('id', 'long')] };
const lake = () => new LocalObjectStore(path.join(dir, 'lake'));

async function parquet(rows: number): Promise<string> {
  const file = path.join(dir, `in-${Math.random().toString(36).slice(2)}.parquet`);
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`COPY (SELECT range AS id FROM range(${rows})) TO '${file}' (FORMAT parquet)`);
  conn.closeSync();
  db.closeSync();
  return file;
}

async function table(configuration: Record<string, string> = {}): Promise<DeltaTable> {
  const t = await DeltaTable.open(lake(), 'bronze/t');
  await t.create({ schema, configuration });
  return t;
}

const onDisk = (t: DeltaTable, p: string) => path.join(dir, 'lake', t.tablePath, decodeLogPath(p));

/** Sets a file's modification time `ms` into the past. */
async function age(file: string, ms: number): Promise<void> {
  const when = new Date(Date.now() - ms);
  await fs.utimes(file, when, when);
}

describe('vacuum', () => {
  it('after a crash between staging and committing: the table reads at its last version, and a zero retention removes the orphan', async () => {
    const t = await table();
    const committed = await t.stageDataFile(await parquet(2));
    await t.append([committed]);
    // The writer stages a file and dies (kill -9) before committing it.
    const orphan = await t.stageDataFile(await parquet(5));

    const reopened = await DeltaTable.open(lake(), 'bronze/t');
    const snap = await reopened.snapshot();
    expect(snap.version).toBe(1);
    expect(snap.files.map((f) => f.path)).toEqual([committed.path]);

    // The default retention (7 days) keeps it: it could be a live writer's file about to commit.
    const kept = await vacuum(reopened);
    expect(kept).toMatchObject({ files: [], keptRecent: 1, retentionMs: 7 * DAY });
    await expect(vacuum(reopened, { retentionMs: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);

    const dry = await vacuum(reopened, { retentionMs: 0, allowShortRetention: true, dryRun: true });
    expect(dry.files).toEqual([
      { path: decodeLogPath(orphan.path), size: orphan.size, reason: 'orphan' },
    ]);
    await expect(fs.access(onDisk(t, orphan.path))).resolves.toBeUndefined();
    expect((await reopened.snapshot()).version).toBe(1); // a dry run commits nothing

    const done = await vacuum(reopened, { retentionMs: 0, allowShortRetention: true });
    expect(done.files.map((f) => f.reason)).toEqual(['orphan']);
    expect(done.bytes).toBe(orphan.size);
    await expect(fs.access(onDisk(t, orphan.path))).rejects.toThrow(/ENOENT/);
    await expect(fs.access(onDisk(t, committed.path))).resolves.toBeUndefined();
    const history = await tableHistory(reopened, { limit: 2 });
    expect(history.map((h) => h.operation)).toEqual(['VACUUM END', 'VACUUM START']);
    expect(history[1]!.operationMetrics).toEqual({
      numFilesToDelete: 1,
      sizeOfDataToDelete: orphan.size,
    });
    expect((await reopened.snapshot()).files.map((f) => f.path)).toEqual([committed.path]);
  });

  it('deletes removed files once their tombstone is older than the retention, keeps newer ones', async () => {
    const t = await table();
    const first = await t.stageDataFile(await parquet(3));
    await t.append([first]);
    const second = await t.stageDataFile(await parquet(4));
    await t.overwrite([second]); // removes `first` now
    const third = await t.stageDataFile(await parquet(1));
    await t.overwrite([third]); // removes `second` now

    // Inside the retention: time travel to versions 1 and 2 still needs both removed files.
    expect((await vacuum(t)).files).toEqual([]);
    // Eight days later both tombstones have expired.
    const all = await vacuum(t, { now: Date.now() + 8 * DAY });
    expect(all.files.map((f) => f.path).sort()).toEqual(
      [decodeLogPath(first.path), decodeLogPath(second.path)].sort(),
    );
    expect(all.files.every((f) => f.reason === 'removed')).toBe(true);
    await expect(fs.access(onDisk(t, first.path))).rejects.toThrow(/ENOENT/);
    await expect(fs.access(onDisk(t, third.path))).resolves.toBeUndefined();
  });

  it('follows delta.deletedFileRetentionDuration, and never touches the log or hidden files', async () => {
    const t = await table({ 'delta.deletedFileRetentionDuration': 'interval 1 hour' });
    await t.append([await t.stageDataFile(await parquet(1))]);
    const root = path.join(dir, 'lake', 'bronze', 't');
    const stray = path.join(root, 'part-00000-stray.snappy.parquet');
    await fs.writeFile(stray, 'x');
    await fs.mkdir(path.join(root, '_tmp'), { recursive: true });
    await fs.writeFile(path.join(root, '_tmp', 'spark.parquet'), 'x');
    await fs.writeFile(path.join(root, '.hidden.crc'), 'x');
    await fs.writeFile(path.join(root, '_delta_log', 'junk.json'), 'x');
    for (const f of [
      stray,
      path.join(root, '_tmp', 'spark.parquet'),
      path.join(root, '.hidden.crc'),
    ])
      await age(f, 2 * HOUR);
    await age(path.join(root, '_delta_log', 'junk.json'), 2 * HOUR);

    const r = await vacuum(t);
    expect(r.retentionMs).toBe(HOUR);
    expect(r.files).toEqual([
      { path: 'part-00000-stray.snappy.parquet', size: 1, reason: 'orphan' },
    ]);
    await expect(fs.access(path.join(root, '_tmp', 'spark.parquet'))).resolves.toBeUndefined();
    await expect(fs.access(path.join(root, '.hidden.crc'))).resolves.toBeUndefined();
    await expect(fs.access(path.join(root, '_delta_log', 'junk.json'))).resolves.toBeUndefined();
    expect(
      (await DeltaTable.open(lake(), 'bronze/t').then((x) => x.snapshot())).files,
    ).toHaveLength(1);
  });

  it('treats partition folders as visible even when the column starts with an underscore', () => {
    expect(isHidden('_delta_log/00000000000000000000.json', [])).toBe(true);
    expect(isHidden('_p=1/part-0.parquet', ['_p'])).toBe(false);
    expect(isHidden('_p=1/.part-0.parquet.crc', ['_p'])).toBe(true);
    expect(isHidden('_change_data/x.parquet', ['_p'])).toBe(true);
    expect(isHidden('day=2026-11-24/part-0.parquet', ['day'])).toBe(false);
  });

  it('leaves the Iceberg metadata written over the same files alone', () => {
    expect(isHidden('metadata/v3.metadata.json', [])).toBe(true);
    expect(isHidden('metadata/snap-1-0.avro', [])).toBe(true);
    expect(isHidden('metadata', [])).toBe(false); // a data file of that name is not a folder
  });
});
