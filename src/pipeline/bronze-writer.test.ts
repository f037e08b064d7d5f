import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attachLake, Session } from '../engine/index.js';
import { DeltaTable, LocalObjectStore } from '../lake/index.js';
import { EmbeddedLog } from '../log/index.js';
import { Metrics } from '../observe/index.js';
import { BronzeTable } from './bronze-table.js';
import { BronzeWriter } from './bronze-writer.js';
import { bronzeAppId } from './names.js';

let dir: string;
let session: Session;
let log: EmbeddedLog;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-bronze-'));
  session = await Session.open({ threads: 1 });
  log = await EmbeddedLog.open(join(dir, 'log'));
  await log.createTopic('pos.transactions', { partitions: 3 });
});
afterEach(async () => {
  await log.close();
  session.close();
  await rm(dir, { recursive: true, force: true });
});

const open = async (store: LocalObjectStore) =>
  BronzeWriter.open({
    log,
    conn: await session.connect(),
    store,
    topic: 'pos.transactions',
    partitions: 3,
    tmpDir: join(dir, 'tmp'),
    metrics: new Metrics(),
    maxBatch: 250,
  });

const records = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    key: `S${(from + i) % 50}`,
    value: Buffer.from(JSON.stringify({ event_id: `e-${from + i}`, n: from + i })),
    headers: { 'freshet.event-id': `e-${from + i}` },
  }));

describe('BronzeWriter', () => {
  it('commits what the log holds with one txn per partition, and a new writer resumes after it', async () => {
    const store = new LocalObjectStore(join(dir, 'lake'));
    await log.append('pos.transactions', records(0, 600));
    const writer = await open(store);
    let written = 0;
    while (!(await writer.caughtUp())) written += await writer.writeOnce();
    expect(written).toBe(600);

    const snapshot = await writer.delta.snapshot();
    for (let p = 0; p < 3; p++) {
      const end = await log.endOffset('pos.transactions', p);
      expect(end).toBeGreaterThan(0);
      expect(snapshot.txnVersion(bronzeAppId('pos.transactions', p))).toBe(end - 1);
    }

    // A restarted writer (as after kill -9) reads its position from the table, not from memory.
    await log.append('pos.transactions', records(600, 100));
    const again = await open(store);
    expect(again.nextOffsets).toEqual(writer.nextOffsets);
    while (!(await again.caughtUp())) await again.writeOnce();
    expect(await again.writeOnce()).toBe(0);

    await attachLake(session.connection, store);
    const [row] = await session.connection.rows(
      'SELECT count(*) AS n, count(DISTINCT event_id) AS ids, min(_accepted_at) IS NOT NULL AS stamped FROM bronze.pos_transactions',
    );
    expect(row).toEqual({ n: 700, ids: 700, stamped: true });
    const [payload] = await session.connection.rows(
      "SELECT payload::JSON->>'n' AS n, _topic FROM bronze.pos_transactions WHERE event_id = 'e-650'",
    );
    expect(payload).toEqual({ n: '650', _topic: 'pos.transactions' });
    expect(writer.state.maxAcceptedAt).not.toBeNull();
    expect((await DeltaTable.open(store, 'bronze/pos_transactions')).tablePath).toBe(
      'bronze/pos_transactions',
    );
  });

  it('drops records a commit already holds and refuses a batch that skips offsets', async () => {
    const store = new LocalObjectStore(join(dir, 'lake'));
    await log.append('pos.transactions', records(0, 90));
    const conn = await session.connect();
    const opts = {
      conn,
      store,
      topic: 'pos.transactions',
      partitions: 3,
      tmpDir: join(dir, 'tmp'),
    };
    const table = await BronzeTable.open(opts);
    const read = async (p: number, from: number) =>
      log.read('pos.transactions', p, from, { maxRecords: 1000 });
    const first = await table.commit([await read(0, 0), [], []]);
    expect(first?.rows).toBe(await log.endOffset('pos.transactions', 0));
    // The same batch again (a caller that did not hear of the commit): nothing new, no version.
    expect(await table.commit([await read(0, 0), [], []])).toBeNull();
    // Overlapping: only the records past the committed offset are new.
    const again = await BronzeTable.open(opts);
    expect(again.positions[0]).toBe(first!.positions[0]);
    const p1 = await read(1, 0);
    expect((await again.commit([await read(0, 0), p1, []]))?.rows).toBe(p1.length);
    // A gap would lose events: refused, naming the partition and offsets.
    const p2 = await read(2, 3);
    await expect(again.commit([[], [], p2], { contiguous: true })).rejects.toThrow(
      /partition 2 continues at offset 0, but the batch starts at 3/,
    );
    await attachLake(session.connection, store);
    const [row] = await session.connection.rows(
      'SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM bronze.pos_transactions',
    );
    expect(row!.n).toBe(row!.ids);
    expect(Number(row!.n)).toBe(first!.rows + p1.length);
  });
});
