import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.js';

describe('GroupCommit', () => {
  it('batches callers that arrive while a commit is in flight', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommit<number, number>(
      async (batch) => {
        batches.push(batch);
        await new Promise((r) => setTimeout(r, 10));
        return batch.map((x) => x * 2);
      },
      { weigh: () => 1, maxBatchWeight: 1000 },
    );
    const first = [gc.submit(1), gc.submit(2)];
    await new Promise((r) => setTimeout(r, 2));
    const later = [3, 4, 5].map((x) => gc.submit(x));
    expect(await Promise.all([...first, ...later])).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
  });

  it('caps a batch by weight and fails only the batch whose commit throws', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommit<number, number>(
      async (batch) => {
        batches.push(batch);
        if (batch.includes(3)) throw new Error('disk full');
        return batch;
      },
      { weigh: (x) => x, maxBatchWeight: 3 },
    );
    const results = await Promise.allSettled([1, 2, 3, 1].map((x) => gc.submit(x)));
    expect(batches).toEqual([[1, 2], [3], [1]]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    await gc.idle();
  });
});
