import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeltaTable } from './delta-table.js';
import { LocalObjectStore } from './local-object-store.js';
import { structField } from './schema.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'freshet-crash-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const schema = { type: 'struct' as const, fields: [structField('id', 'long')] };
const logDir = () => path.join(dir, 'lake', 'bronze', 't', '_delta_log');

async function table(): Promise<DeltaTable> {
  const t = await DeltaTable.open(new LocalObjectStore(path.join(dir, 'lake')), 'bronze/t');
  await t.create({ schema });
  return t;
}

async function parquet(rows: number): Promise<string> {
  const file = path.join(dir, `in-${Math.random().toString(36).slice(2)}.parquet`);
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`COPY (SELECT range AS id FROM range(${rows})) TO '${file}' (FORMAT parquet)`);
  conn.closeSync();
  db.closeSync();
  return file;
}

/** What another process (or this one after a restart) sees. */
async function reopen(): Promise<DeltaTable> {
  return DeltaTable.open(new LocalObjectStore(path.join(dir, 'lake')), 'bronze/t');
}

describe('crash safety', () => {
  it('does not show a data file that was staged but never committed', async () => {
    const t = await table();
    const committed = await t.stageDataFile(await parquet(2));
    await t.append([committed]);
    // The writer stages a second file and dies before committing it.
    const orphan = await t.stageDataFile(await parquet(5));
    await expect(fs.access(t.fileUri(orphan))).resolves.toBeUndefined();

    const snap = await (await reopen()).snapshot();
    expect(snap.version).toBe(1);
    expect(snap.files.map((f) => f.path)).toEqual([committed.path]);
  });

  it('never shows a partially written commit file left by a crash', async () => {
    const t = await table();
    // What a crash in the middle of putIfAbsent leaves behind: a temp file with half a commit.
    await fs.writeFile(
      path.join(
        logDir(),
        '.00000000000000000001.json.3f1c2b9e-0000-4000-8000-000000000000.freshet-tmp',
      ),
      '{"commitInfo":{"timestamp":1}}\n{"add":{"path":"half',
    );
    // And what a Spark-style writer leaves: an uncommitted attempt under _delta_log/.tmp/.
    await fs.mkdir(path.join(logDir(), '.tmp'));
    await fs.writeFile(
      path.join(logDir(), '.tmp', '00000000000000000001.json'),
      '{"add":{"path":"x"',
    );

    const reader = await reopen();
    expect((await reader.snapshot()).version).toBe(0);
    expect(await reader.store.list('bronze/t/_delta_log/')).toEqual([
      'bronze/t/_delta_log/.tmp/00000000000000000001.json',
      'bronze/t/_delta_log/00000000000000000000.json',
    ]);
    // The debris does not block the next commit either.
    expect(await t.append([await t.stageDataFile(await parquet(1))])).toBe(1);
    expect((await reader.snapshot()).files).toHaveLength(1);
  });

  it('leaves the table unchanged when the commit write itself fails', async () => {
    const t = await table();
    const store = t.store as LocalObjectStore;
    const add = await t.stageDataFile(await parquet(3));
    const real = store.putIfAbsent.bind(store);
    store.putIfAbsent = async () => {
      throw Object.assign(new Error('EIO: i/o error, link'), { code: 'EIO' });
    };
    await expect(t.append([add])).rejects.toThrow(/EIO/);
    store.putIfAbsent = real;

    const reader = await reopen();
    expect((await reader.snapshot()).version).toBe(0);
    expect((await fs.readdir(logDir())).filter((n) => n.endsWith('.json'))).toEqual([
      '00000000000000000000.json',
    ]);
    // Retrying the same transaction after the failure commits it exactly once.
    expect(await t.append([add])).toBe(1);
    expect((await reader.snapshot()).files).toEqual([add]);
  });

  it('resumes exactly once from the txn version recorded with the data', async () => {
    const t = await table();
    const appId = 'pos-ingest';
    // Batches 1..3 are committed; then the writer "crashes" and a new one resumes.
    for (let batch = 1; batch <= 3; batch++) {
      await t.append([await t.stageDataFile(await parquet(batch))], {
        txns: [{ appId, version: batch }],
      });
    }
    const resumed = await reopen();
    const done = (await resumed.snapshot()).txnVersion(appId) ?? 0;
    expect(done).toBe(3);
    for (let batch = 1; batch <= 4; batch++) {
      if (batch <= done) continue; // already in the table: replaying it would duplicate rows
      await resumed.append([await resumed.stageDataFile(await parquet(batch))], {
        txns: [{ appId, version: batch }],
      });
    }
    const snap = await resumed.snapshot();
    expect(snap.files).toHaveLength(4);
    expect(snap.txnVersion(appId)).toBe(4);
  });
});
