import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../src/engine/index.js';
import { EmbeddedLog, type StoredRecord } from '../src/log/index.js';
import { Metrics } from '../src/observe/index.js';
import { EmbeddedRegistry } from '../src/registry/index.js';
import { FileDropSource } from '../src/sources/index.js';
import { S3_CREDENTIALS, S3_ENDPOINT, s3ServerUp } from './helpers/s3-server.js';

/**
 * The file drop source on an S3 prefix (moto on loopback, started by `scripts/services start`):
 * CSV, NDJSON and Parquet objects land once, a restart takes nothing twice, an object rewritten
 * under the same key is taken again, and objects outside the prefix are never read.
 */

const serverUp = await s3ServerUp();
if (!serverUp && !process.env.CI) {
  console.warn(
    `\n*** SKIPPING the S3 file drop test: no S3-compatible server at ${S3_ENDPOINT} (scripts/services start) ***\n`,
  );
}

const TOPIC = 'erp.drops';
let dir: string;
let client: S3Client;
const bucket = `freshet-drops-${Date.now()}`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-files-s3-'));
  client = new S3Client({
    endpoint: S3_ENDPOINT,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
  });
});
afterAll(async () => {
  client?.destroy();
  await rm(dir, { recursive: true, force: true });
});

async function put(key: string, body: string | Buffer): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

async function readAll(log: EmbeddedLog, topic: string): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  for (let offset = 0; ;) {
    const batch = await log.read(topic, 0, offset, { maxRecords: 10_000 });
    if (batch.length === 0) return out;
    out.push(...batch);
    offset = batch[batch.length - 1]!.offset + 1;
  }
}

describe.skipIf(!serverUp && !process.env.CI)('FileDropSource on S3', () => {
  it('takes CSV, NDJSON and Parquet objects under a prefix once, and a rewritten one again', async () => {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await put('exports/a-orders.csv', 'id,amount\n1,2.5\n2,x\n');
    await put('exports/b-lines.ndjson', '{"id":3,"amount":4}\n');
    const pq = join(dir, 'c.parquet');
    const session = await Session.open();
    try {
      await session.connection.run(
        `COPY (SELECT i::INTEGER AS id, i * 0.5 AS amount FROM range(4, 7) t(i)) TO '${pq}' (FORMAT PARQUET)`,
      );
    } finally {
      session.close();
    }
    await put('exports/c-rows.parquet', await readFile(pq));
    await put('elsewhere/never.csv', 'id,amount\n99,9\n');

    const log = await EmbeddedLog.open(join(dir, 'log'), { fsync: 'never' });
    const registry = await EmbeddedRegistry.open(join(dir, 'registry'));
    const make = () =>
      new FileDropSource({
        name: 'erp-s3',
        location: `s3://${bucket}/exports`,
        storeOptions: {
          s3: {
            endpoint: S3_ENDPOINT,
            region: 'us-east-1',
            forcePathStyle: true,
            credentials: S3_CREDENTIALS,
            cacheDir: join(dir, 'cache'),
          },
        },
        topic: TOPIC,
        schema: {
          type: 'object',
          properties: { id: { type: 'integer' }, amount: { type: 'number' } },
          required: ['id', 'amount'],
        },
        checkpointPath: join(dir, 'erp-s3.json'),
        pollIntervalMs: 50,
        log,
        registry,
        metrics: new Metrics(),
      });
    const waitFor = async (cond: () => boolean) => {
      const until = Date.now() + 30_000;
      while (!cond()) {
        if (Date.now() > until) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      const first = make();
      await first.start();
      await waitFor(() => first.status().filesDone >= 3);
      await first.stop();
      expect(first.status().lastError).toBeNull();
      let got = await readAll(log, TOPIC);
      expect(got.map((r) => JSON.parse(r.value.toString()))).toEqual([
        { id: 1, amount: 2.5 },
        { id: 3, amount: 4 },
        { id: 4, amount: 2 },
        { id: 5, amount: 2.5 },
        { id: 6, amount: 3 },
      ]);
      const q = await readAll(log, 'freshet.quarantine');
      expect(
        q.map((r) => [
          r.headers['freshet.file'],
          r.headers['freshet.line'],
          r.headers['freshet.field'],
        ]),
      ).toEqual([['a-orders.csv', '3', 'amount']]);

      // A restart takes nothing twice; the rewritten object (new size) is a new drop.
      await put('exports/a-orders.csv', 'id,amount\n7,7.5\n');
      const second = make();
      await second.start();
      await waitFor(() => second.status().eventsAccepted >= 1);
      await new Promise((r) => setTimeout(r, 200));
      await second.stop();
      got = await readAll(log, TOPIC);
      expect(got.map((r) => JSON.parse(r.value.toString()).id)).toEqual([1, 3, 4, 5, 6, 7]);
      expect(new Set(got.map((r) => r.headers['freshet.event-id'])).size).toBe(6);
      expect(got.every((r) => r.headers['freshet.event-id']!.startsWith('file:erp-s3:'))).toBe(
        true,
      );
    } finally {
      await log.close();
    }
  });
});
