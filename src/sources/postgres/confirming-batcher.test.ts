import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../log/index.js';
import { ConfirmingBatcher } from './confirming-batcher.js';
import type { Lsn } from './lsn.js';

const rec = (n: number): LogRecord => ({ key: String(n), value: Buffer.from(String(n)) });

function rig(append: (records: Map<string, LogRecord[]>) => Promise<void>, maxBatchRecords = 100) {
  const confirmed: Lsn[] = [];
  const errors: unknown[] = [];
  const batcher = new ConfirmingBatcher({
    maxBatchRecords,
    append,
    onDurable: async (lsn) => void confirmed.push(lsn),
    onError: (err) => errors.push(err),
    onFlushed: () => undefined,
  });
  return { batcher, confirmed, errors };
}

describe('ConfirmingBatcher', () => {
  it('confirms a commit only after the append holding its records resolved', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const appended: string[] = [];
    const { batcher, confirmed } = rig(async (records) => {
      await gate;
      for (const [t, list] of records) appended.push(...list.map((r) => `${t}:${r.key}`));
      records.clear();
    });
    batcher.push('a', rec(1));
    batcher.commit(10n);
    await new Promise((r) => setTimeout(r, 20));
    expect(confirmed).toEqual([]);
    expect(batcher.idle).toBe(false);
    release();
    await batcher.drain();
    expect(appended).toEqual(['a:1']);
    expect(confirmed).toEqual([10n]);
    expect(batcher.idle).toBe(true);
  });

  it('retries a failed append without appending a topic twice, and confirms after it lands', async () => {
    const landed: string[] = [];
    let failures = 1;
    const { batcher, confirmed, errors } = rig(async (records) => {
      for (const [t, list] of [...records]) {
        if (t === 'b' && failures-- > 0) throw new Error('disk full');
        landed.push(...list.map((r) => `${t}:${r.key}`));
        records.delete(t);
      }
    });
    batcher.push('a', rec(1));
    batcher.push('b', rec(2));
    batcher.commit(20n);
    await batcher.drain(); // gives up at the failure
    expect(confirmed).toEqual([]);
    await new Promise((r) => setTimeout(r, 700)); // retried on its own
    await batcher.drain();
    expect(errors).toHaveLength(1);
    expect(landed).toEqual(['a:1', 'b:2']);
    expect(confirmed).toEqual([20n]);
  });

  it('appends a huge transaction in parts but confirms nothing before its commit', async () => {
    const sizes: number[] = [];
    const { batcher, confirmed } = rig(async (records) => {
      sizes.push([...records.values()].reduce((n, l) => n + l.length, 0));
      records.clear();
    }, 10);
    for (let i = 0; i < 25; i++) batcher.push('a', rec(i));
    await batcher.drain();
    // The first part leaves at 10 records; what arrives meanwhile follows in the next append.
    expect(sizes[0]).toBe(10);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(25);
    expect(confirmed).toEqual([]);
    batcher.commit(30n);
    await batcher.drain();
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(25);
    expect(confirmed).toEqual([30n]);
  });

  it('forgets an open transaction that will be sent again, but keeps complete ones', async () => {
    const landed: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { batcher } = rig(async (records) => {
      await gate;
      for (const [, list] of records) landed.push(...list.map((r) => r.key!));
      records.clear();
    });
    batcher.push('a', rec(1));
    batcher.commit(10n); // flushing, held at the gate
    batcher.push('a', rec(2)); // open transaction, not committed
    batcher.dropOpenTransaction();
    release();
    await batcher.drain();
    expect(landed).toEqual(['1']);
  });
});
