import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeltaTable, S3ObjectStore } from '../lake/index.js';
import { attachLake } from './lake-catalog.js';
import { deltaSchemaOf, writeDataFile } from './lake-tables.js';
import { Session } from './session.js';
import { S3_CREDENTIALS, S3_ENDPOINT, s3ServerUp } from '../../test/helpers/s3-server.js';

/**
 * DuckDB reading a Delta table that lives on S3 (moto on loopback, started by
 * `scripts/services start`): the engine fetches data files into the store's local cache, since
 * DuckDB's httpfs extension is not available here.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const inCI = Boolean(process.env.CI);

const serverUp = await s3ServerUp();
if (!serverUp && !inCI) {
  console.warn(
    `\n*** SKIPPING the engine's S3 read test: no S3-compatible server at ${S3_ENDPOINT} (scripts/services start) ***\n`,
  );
}

describe.skipIf(!serverUp && !inCI)('lake tables on S3 in DuckDB', () => {
  const bucket = `freshet-engine-${randomUUID().slice(0, 8)}`;
  let session: Session;

  beforeAll(async () => {
    const client = new S3Client({
      endpoint: S3_ENDPOINT,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: S3_CREDENTIALS,
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();
    session = await Session.open({ threads: 1 });
  });
  afterAll(() => session?.close());

  it('writes with the engine and reads back by name through attachLake', async () => {
    const store = new S3ObjectStore({
      bucket,
      prefix: 'lake',
      endpoint: S3_ENDPOINT,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: S3_CREDENTIALS,
    });
    const c = session.connection;
    const table = await DeltaTable.open(store, 'silver/orders');
    await c.run(
      "CREATE TABLE batch AS SELECT range AS id, 'S' || (range % 5) AS store_id FROM range(1000)",
    );
    await table.create({ schema: await deltaSchemaOf(c, 'batch') });
    for (let i = 0; i < 3; i++)
      await table.append([(await writeDataFile(c, 'batch', table, '/tmp'))!]);

    expect(await attachLake(c, store)).toEqual(['silver.orders']);
    expect(await c.rows('SELECT count(*) AS n, sum(id) AS s FROM silver.orders')).toEqual([
      { n: 3000, s: 3 * 499_500 },
    ]);
  });
});
