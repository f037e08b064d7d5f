import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AddFile } from './actions.js';
import { DeltaTable, type DeltaTableOptions } from './delta-table.js';
import { CommitConflictError } from './errors.js';
import { LocalObjectStore } from './local-object-store.js';
import { structField } from './schema.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'freshet-concurrency-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function file(name: string): AddFile {
  return {
    path: `${name}.parquet`,
    partitionValues: {},
    size: 1,
    modificationTime: 0,
    dataChange: true,
  };
}

async function openPair(options: DeltaTableOptions = {}): Promise<[DeltaTable, DeltaTable]> {
  // Two instances on the same folder, each with its own store object and cache: as two processes.
  const a = await DeltaTable.open(new LocalObjectStore(dir), 'bronze/events', options);
  const b = await DeltaTable.open(new LocalObjectStore(dir), 'bronze/events', options);
  await a.create({ schema: { type: 'struct', fields: [structField('id', 'long')] } });
  return [a, b];
}

describe('concurrent commits on one folder', () => {
  it('loses no blind append: 2 writers x 20 concurrent appends give 40 files, versions 1..40', async () => {
    // While one writer commits back to back, the other keeps losing races until the first one's
    // queue drains; on a slow disk that can take more than the default 10 retries. What this test
    // proves is that nothing is lost however long the race runs (giving up is tested below).
    const [a, b] = await openPair({ maxRetries: 100 });
    const appends = (t: DeltaTable, who: string) =>
      Array.from({ length: 20 }, (_, i) => t.append([file(`${who}-${i}`)]));
    const versions = await Promise.all([...appends(a, 'a'), ...appends(b, 'b')]);

    expect([...versions].sort((x, y) => x - y)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    const fresh = await DeltaTable.open(new LocalObjectStore(dir), 'bronze/events');
    const snap = await fresh.snapshot();
    expect(snap.version).toBe(40);
    expect(snap.files).toHaveLength(40);
    expect(new Set(snap.files.map((f) => f.path)).size).toBe(40);
    // Each writer's cache agrees with a fresh reader.
    expect((await a.snapshot()).files).toHaveLength(40);
    expect((await b.snapshot()).files).toHaveLength(40);
    const logFiles = (await fs.readdir(path.join(dir, 'bronze/events/_delta_log'))).filter((n) =>
      n.endsWith('.json'),
    );
    expect(logFiles).toHaveLength(41);
  });

  it('detects two writers recording progress for the same txn appId', async () => {
    const [a, b] = await openPair();
    const readVersion = (await a.snapshot()).version;
    // Both read version 0 and both claim batch 1 of the same source: only one may commit.
    const commit = (t: DeltaTable, name: string) =>
      t.commit([{ add: file(name) }], {
        operation: 'WRITE',
        readVersion,
        txns: [{ appId: 'pos-ingest', version: 1 }],
      });
    const results = await Promise.allSettled([commit(a, 'a'), commit(b, 'b')]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(CommitConflictError);
    expect(String(lost[0]!.reason.message)).toMatch(/same application id 'pos-ingest'/);
    const snap = await (
      await DeltaTable.open(new LocalObjectStore(dir), 'bronze/events')
    ).snapshot();
    expect(snap.files).toHaveLength(1);
    expect(snap.txnVersion('pos-ingest')).toBe(1);
  });

  it('lets different appIds commit side by side', async () => {
    const [a, b] = await openPair();
    await Promise.all([
      a.append([file('a')], { txns: [{ appId: 'store-1', version: 1 }] }),
      b.append([file('b')], { txns: [{ appId: 'store-2', version: 1 }] }),
    ]);
    const snap = await a.snapshot();
    expect(snap.version).toBe(2);
    expect(snap.txnVersion('store-1')).toBe(1);
    expect(snap.txnVersion('store-2')).toBe(1);
  });

  it('refuses an overwrite whose input was removed by a concurrent overwrite', async () => {
    const [a, b] = await openPair();
    await a.append([file('base')]);
    await b.snapshot();
    const results = await Promise.allSettled([a.overwrite([file('x')]), b.overwrite([file('y')])]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(lost?.reason).toBeInstanceOf(CommitConflictError);
    expect((await a.snapshot()).files).toHaveLength(1);
  });

  it('gives up with CommitConflictError once maxRetries races are lost', async () => {
    const store = new LocalObjectStore(dir);
    const table = await DeltaTable.open(store, 't', { maxRetries: 2, backoff: { initialMs: 1 } });
    await table.create({ schema: { type: 'struct', fields: [structField('id', 'long')] } });
    // A store on which every attempt loses: another writer always takes the version first.
    const real = store.putIfAbsent.bind(store);
    let stolen = 0;
    store.putIfAbsent = async (key, data) => {
      const won = await real(
        key,
        Buffer.from(JSON.stringify({ commitInfo: { isBlindAppend: true } })),
      );
      if (won) stolen += 1;
      void data;
      return false;
    };
    const err = await table.append([file('z')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommitConflictError);
    expect((err as Error).message).toMatch(/too busy/);
    expect(stolen).toBe(3);
  });
});
