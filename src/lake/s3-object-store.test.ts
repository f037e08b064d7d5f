import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLogPath } from './data-file-paths.js';
import { DeltaTable } from './delta-table.js';
import { InvalidArgumentError } from './errors.js';
import { writeIcebergMetadata } from './iceberg/iceberg-metadata.js';
import { LocalObjectStore } from './local-object-store.js';
import { objectStoreFor, parseS3Url } from './object-store-url.js';
import { S3ObjectStore } from './s3-object-store.js';
import { structField, type StructType } from './schema.js';

/**
 * The S3 store against a real S3-compatible server on loopback (moto, started by
 * `scripts/services start`; FRESHET_TEST_S3_ENDPOINT points elsewhere). Each run uses a fresh
 * bucket, so runs never see each other's objects.
 */

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const ENDPOINT = process.env.FRESHET_TEST_S3_ENDPOINT ?? 'http://127.0.0.1:9000';
const CREDENTIALS = { accessKeyId: 'freshet-test', secretAccessKey: 'freshet-test' };
const inCI = Boolean(process.env.CI);
const hasPyiceberg = spawnSync('python3', ['-c', 'import pyiceberg, pyarrow']).status === 0;
const READ_ICEBERG = fileURLToPath(new URL('../../test/peers/read_iceberg.py', import.meta.url));

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 80) });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

const serverUp = await reachable(ENDPOINT);
if (!serverUp && !inCI) {
  console.warn(
    `\n*** SKIPPING the S3 object store tests: no S3-compatible server at ${ENDPOINT}. ***\n` +
      '*** Run `scripts/services install && scripts/services start` to test the S3 path. ***\n',
  );
}

describe('S3 locations', () => {
  it('parses s3:// URLs into bucket and prefix', () => {
    expect(parseS3Url('s3://lake')).toEqual({ bucket: 'lake', prefix: '' });
    expect(parseS3Url('s3://lake/prod/retail/')).toEqual({ bucket: 'lake', prefix: 'prod/retail' });
    expect(parseS3Url('s3a://lake/a b')).toEqual({ bucket: 'lake', prefix: 'a b' });
    expect(() => parseS3Url('s3:///nobucket')).toThrow(InvalidArgumentError);
  });

  it('chooses the store by scheme', () => {
    const s3 = objectStoreFor('s3://retail-lake/prod', { s3: { endpoint: ENDPOINT } });
    expect(s3).toBeInstanceOf(S3ObjectStore);
    expect(s3.description).toBe('S3 bucket s3://retail-lake/prod');
    expect(s3.url?.('gold/t/part-0.parquet')).toBe('s3://retail-lake/prod/gold/t/part-0.parquet');
    expect(s3.localPath('gold/t/x')).toBeNull();
    const local = objectStoreFor('file:///tmp/lake');
    expect(local).toBeInstanceOf(LocalObjectStore);
    expect(local.localPath('a')).toBe(path.join('/tmp/lake', 'a'));
    expect(objectStoreFor('./lake')).toBeInstanceOf(LocalObjectStore);
    expect(() => objectStoreFor('gs://bucket/x')).toThrow(InvalidArgumentError);
  });
});

describe.skipIf(!serverUp && !inCI)(`S3ObjectStore against ${ENDPOINT}`, () => {
  const bucket = `freshet-test-${randomUUID().slice(0, 8)}`;
  let dir: string;
  const makeStore = (prefix = `run/${randomUUID().slice(0, 8)}`) =>
    new S3ObjectStore({
      bucket,
      prefix,
      endpoint: ENDPOINT,
      credentials: CREDENTIALS,
      cacheDir: path.join(dir, 'cache'),
    });

  beforeAll(async () => {
    if (!serverUp) {
      throw new Error(
        `CI must run the S3 tests, but nothing listens at ${ENDPOINT}: .ci/run should have run scripts/services start.`,
      );
    }
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'freshet-s3-'));
    const admin = new S3Client({
      endpoint: ENDPOINT,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: CREDENTIALS,
    });
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    admin.destroy();
  });
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('gets null for a missing key and the bytes for a present one', async () => {
    const store = makeStore();
    expect(await store.get('a/b.json')).toBeNull();
    expect(await store.head('a/b.json')).toBeNull();
    await store.put('a/b.json', Buffer.from('xyz'));
    expect((await store.get('a/b.json'))?.toString()).toBe('xyz');
    expect((await store.head('a/b.json'))?.size).toBe(3);
  });

  it('lets exactly one of many racing putIfAbsent calls win', async () => {
    const store = makeStore();
    const other = makeStore(store.prefix); // a second client, as another process would have
    for (let round = 0; round < 5; round++) {
      const key = `t/_delta_log/${round}.json`;
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          (i % 2 ? other : store).putIfAbsent(key, Buffer.from(`w${i}`)),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.get(key))?.toString()).toBe(`w${results.indexOf(true)}`);
    }
  });

  it('overwrites with put, deletes, and does not mind deleting a missing key', async () => {
    const store = makeStore();
    await store.put('k', Buffer.from('1'));
    await store.put('k', Buffer.from('2'));
    expect((await store.get('k'))?.toString()).toBe('2');
    await store.delete('k');
    await store.delete('k');
    expect(await store.get('k')).toBeNull();
  });

  it('lists recursively, sorted, by string prefix, inside its own prefix only', async () => {
    const store = makeStore();
    for (const key of ['b/2', 'a/x/1', 'a/1', 'ab/1', 'a/x/0'])
      await store.put(key, Buffer.from(key));
    await makeStore(`${store.prefix}-sibling`).put('a/1', Buffer.from('other'));
    expect(await store.list('a/')).toEqual(['a/1', 'a/x/0', 'a/x/1']);
    expect(await store.list('a')).toEqual(['a/1', 'a/x/0', 'a/x/1', 'ab/1']);
    expect(await store.list('')).toEqual(['a/1', 'a/x/0', 'a/x/1', 'ab/1', 'b/2']);
    expect(await store.list('nothing/')).toEqual([]);
  });

  it('lists past the 1000 keys of one page', async () => {
    const store = makeStore();
    const keys = Array.from({ length: 1030 }, (_, i) => `many/${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, Buffer.from('.'))));
    }
    expect(await store.list('many/')).toEqual(keys);
  });

  it('uploads a local file with putFile and caches it back locally', async () => {
    const store = makeStore();
    const src = path.join(dir, 'incoming.bin');
    await fs.writeFile(src, 'data');
    await store.putFile('t/part-0.parquet', src);
    await expect(fs.access(src)).rejects.toThrow();
    const cached = await store.cacheLocally('t/part-0.parquet');
    expect(await fs.readFile(cached, 'utf8')).toBe('data');
    expect(await store.cacheLocally('t/part-0.parquet')).toBe(cached);
    await expect(store.cacheLocally('t/missing.parquet')).rejects.toThrow(/does not exist/);
  });

  it('refuses keys that could escape the store', async () => {
    const store = makeStore();
    await expect(store.get('../etc/passwd')).rejects.toThrow(InvalidArgumentError);
    await expect(store.put('/abs', Buffer.from(''))).rejects.toThrow(InvalidArgumentError);
  });

  it('says which bucket is missing', async () => {
    const store = new S3ObjectStore({
      bucket: 'freshet-no-such-bucket',
      endpoint: ENDPOINT,
      credentials: CREDENTIALS,
    });
    await expect(store.put('k', Buffer.from('1'))).rejects.toThrow(
      /Create the bucket 'freshet-no-such-bucket'/,
    );
  });

  describe('a Delta table on S3', () => {
    let db: DuckDBInstance;
    let conn: DuckDBConnection;
    let nextId = 0;
    const schema: StructType = {
      type: 'struct',
      fields: [structField('id', 'long'), structField('store', 'string')],
    };

    beforeAll(async () => {
      db = await DuckDBInstance.create(':memory:');
      conn = await db.connect();
    });
    afterAll(() => {
      conn?.closeSync();
      db?.closeSync();
    });

    async function parquet(rows: number): Promise<string> {
      const file = path.join(dir, `incoming-${randomUUID()}.parquet`);
      await conn.run(
        `COPY (SELECT (range + ${nextId})::BIGINT AS id, 'store-' || (range % 3) AS store
               FROM range(${rows})) TO '${file}' (FORMAT parquet)`,
      );
      nextId += rows;
      return file;
    }

    /** What an engine does with a remote table: cache the files, read them with DuckDB. */
    async function rowCount(table: DeltaTable): Promise<number> {
      const snapshot = await table.snapshot();
      if (snapshot.files.length === 0) return 0;
      const files = await Promise.all(
        snapshot.files.map((f) =>
          table.store.cacheLocally!(`${table.tablePath}/${decodeLogPath(f.path)}`),
        ),
      );
      const list = files.map((f) => `'${f}'`).join(', ');
      const reader = await conn.runAndReadAll(
        `SELECT count(*)::INTEGER AS n FROM read_parquet([${list}])`,
      );
      return Number(reader.getRowObjects()[0]!.n);
    }

    it('creates, appends, overwrites and checkpoints', async () => {
      const store = makeStore();
      const table = await DeltaTable.open(store, 'bronze/pos', { checkpointInterval: 3 });
      await table.create({ schema });
      expect(await table.append([await table.stageDataFile(await parquet(5))])).toBe(1);
      expect(await table.append([await table.stageDataFile(await parquet(7))])).toBe(2);
      expect(await rowCount(table)).toBe(12);
      expect(await table.overwrite([await table.stageDataFile(await parquet(4))])).toBe(3);
      expect(
        await store.head(`bronze/pos/_delta_log/${'3'.padStart(20, '0')}.checkpoint.parquet`),
      ).not.toBeNull();

      // A fresh reader loads from the checkpoint on S3.
      const reader = await DeltaTable.open(makeStore(store.prefix), 'bronze/pos');
      const snapshot = await reader.snapshot();
      expect(snapshot.version).toBe(3);
      expect(snapshot.files).toHaveLength(1);
      expect(await rowCount(reader)).toBe(4);
    });

    it('loses nothing when two writers commit to one table at once', async () => {
      const prefix = `run/${randomUUID().slice(0, 8)}`;
      const a = await DeltaTable.open(makeStore(prefix), 'silver/orders', {
        backoff: { initialMs: 5, maxMs: 50 },
        maxRetries: 50,
      });
      const b = await DeltaTable.open(makeStore(prefix), 'silver/orders', {
        backoff: { initialMs: 5, maxMs: 50 },
        maxRetries: 50,
      });
      await a.create({ schema });
      // Two exactly-once writers, as two processes would run them: each commits its batches in
      // order, recording its progress, while the other races it for every version.
      const staged: string[] = [];
      const writer = async (table: DeltaTable, appId: string) => {
        const versions: number[] = [];
        for (let batch = 0; batch < 6; batch++) {
          const add = await table.stageDataFile(await parquet(1));
          staged.push(add.path);
          versions.push(await table.append([add], { txns: [{ appId, version: batch }] }));
        }
        return versions;
      };
      const [va, vb] = await Promise.all([writer(a, 'writer-a'), writer(b, 'writer-b')]);
      expect([...va, ...vb].sort((x, y) => x - y)).toEqual(
        Array.from({ length: 12 }, (_, i) => i + 1),
      );
      const fresh = await DeltaTable.open(makeStore(prefix), 'silver/orders');
      const snapshot = await fresh.snapshot();
      expect(snapshot.version).toBe(12);
      expect(snapshot.files.map((f) => f.path).sort()).toEqual(staged.sort());
      expect(snapshot.txnVersion('writer-a')).toBe(5);
      expect(snapshot.txnVersion('writer-b')).toBe(5);
      expect(await rowCount(fresh)).toBe(12);
    });

    it.skipIf(!hasPyiceberg && !inCI)(
      'is read from S3 by PyIceberg through its Iceberg metadata',
      async () => {
        if (!hasPyiceberg)
          throw new Error("CI must run this test: pip install 'pyiceberg[pyarrow]'.");
        const store = makeStore();
        const table = await DeltaTable.open(store, 'gold/sales');
        await table.create({
          schema: { type: 'struct', fields: [...schema.fields, structField('region', 'string')] },
          partitionColumns: ['region'],
        });
        const first = nextId;
        await table.append([
          await table.stageDataFile(await parquet(6), { partitionValues: { region: 'north' } }),
          await table.stageDataFile(await parquet(3), { partitionValues: { region: 'south' } }),
        ]);
        const { metadataPath } = await writeIcebergMetadata(table);
        expect(metadataPath).toBe(
          `s3://${bucket}/${store.prefix}/gold/sales/metadata/v1.metadata.json`,
        );
        const { stdout } = await promisify(execFile)(
          'python3',
          [READ_ICEBERG, metadataPath, '--s3-endpoint', ENDPOINT],
          {
            timeout: 120_000,
            env: {
              ...process.env,
              AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
              AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
            },
          },
        );
        const theirs = JSON.parse(stdout) as { num_rows: number; rows: unknown[][] };
        expect(theirs.num_rows).toBe(9);
        expect(theirs.rows).toEqual(
          Array.from({ length: 9 }, (_, i) => [
            first + i,
            `store-${i < 6 ? i % 3 : (i - 6) % 3}`,
            i < 6 ? 'north' : 'south',
          ]),
        );
      },
    );
  });
});
