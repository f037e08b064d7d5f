import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CommitConflictError, DeltaTable, objectStoreFor } from '../lake/index.js';
import { BRONZE_SCHEMA } from './bronze-writer.js';
import { bronzeAppId } from './names.js';

/**
 * The fence KafkaBronzeWorker relies on (the workers themselves run against a real broker in
 * test/kafka-group.test.ts): a commit made from an older snapshot loses to any commit since then
 * that recorded progress for the same partition, so two workers that both believe they own a
 * partition cannot both write its offsets.
 */
describe('bronze commits fenced by the partition txn', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses the second writer of the same partition and lets other partitions through', async () => {
    dir = await mkdtemp(join(tmpdir(), 'freshet-fence-'));
    const table = await DeltaTable.open(objectStoreFor(dir), 'bronze/t');
    await table.create({ schema: BRONZE_SCHEMA, name: 't' });
    const seen = await table.snapshot(); // both workers read this snapshot
    const write = (partition: number, last: number) =>
      table.commit([], {
        operation: 'WRITE',
        operationParameters: { mode: 'Append', partitionBy: '[]' },
        readVersion: seen.version,
        isBlindAppend: true,
        txns: [{ appId: bronzeAppId('t', partition), version: last }],
      });
    await write(0, 99); // worker B took partition 0 over and wrote offsets 0..99
    await expect(write(0, 49)).rejects.toBeInstanceOf(CommitConflictError); // worker A, late
    await expect(write(1, 10)).resolves.toBeGreaterThan(seen.version); // another partition: fine
    const after = await table.snapshot();
    expect(after.txnVersion(bronzeAppId('t', 0))).toBe(99);
    expect(after.txnVersion(bronzeAppId('t', 1))).toBe(10);
  });
});
