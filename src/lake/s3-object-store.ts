import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { backoffDelay, sleep } from './backoff.js';
import { LakeError } from './errors.js';
import { assertValidKey, joinKey, type ObjectInfo, type ObjectStore } from './object-store.js';

type S3Sdk = typeof import('@aws-sdk/client-s3');

export interface S3ObjectStoreOptions {
  bucket: string;
  /** Key prefix inside the bucket that acts as the store root, e.g. 'lake/prod'. Default ''. */
  prefix?: string;
  /**
   * Default: AWS_REGION, then AWS_DEFAULT_REGION, then the profile's region; 'us-east-1' when an
   * endpoint is set and none of those is (S3-compatible stores mostly ignore the region).
   */
  region?: string;
  /** An S3-compatible endpoint, e.g. 'http://127.0.0.1:9000'. Default: AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, then AWS. */
  endpoint?: string;
  /** Path-style URLs (endpoint/bucket/key). Default: true when an endpoint is set, else false. */
  forcePathStyle?: boolean;
  /**
   * Static credentials. Default: the SDK's chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
   * AWS_SESSION_TOKEN, then the profile (AWS_PROFILE or `profile`) in ~/.aws, SSO, web identity,
   * container and instance credentials.
   */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Profile name in ~/.aws/config and ~/.aws/credentials. Default: AWS_PROFILE, else 'default'. */
  profile?: string;
  /** Folder for cacheLocally's downloads. Default: <os tmpdir>/freshet-s3-cache. */
  cacheDir?: string;
  /** A ready client (tests, custom middleware); the connection options above are then ignored. */
  client?: S3Client;
}

/** Attempts of a conditional PUT that S3 answered with 409 (a concurrent conditional write). */
const CONFLICT_ATTEMPTS = 5;

/**
 * An object store on Amazon S3 or any S3-compatible store that supports conditional writes.
 *
 * `putIfAbsent` is a PUT with `If-None-Match: *`: the store creates the object only when the key
 * is free and answers 412 otherwise, which gives Delta's commit its mutual exclusion without a
 * lock service (S3 has offered this since August 2024). A store that ignores the header would let
 * two writers both win a version, so use only stores known to honour it.
 *
 * S3 objects have no local path: readers get bytes through `get`, or a local copy of an immutable
 * data file through `cacheLocally` (what DuckDB needs here, as it cannot load httpfs).
 *
 * The AWS SDK is loaded on first use, so importing the lake costs nothing for local-only runs.
 *
 * @example
 * const store = new S3ObjectStore({ bucket: 'retail-lake', prefix: 'prod' });
 * const table = await DeltaTable.open(store, 'gold/daily_sales');
 */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  /** The store root inside the bucket, without leading or trailing '/' ('' for the bucket root). */
  readonly prefix: string;
  readonly description: string;
  private readonly options: S3ObjectStoreOptions;
  private clientPromise: Promise<{ sdk: S3Sdk; client: S3Client }> | undefined;

  constructor(options: S3ObjectStoreOptions) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
      throw new LakeError(
        `'${options.bucket}' is not a valid S3 bucket name (3-63 lowercase letters, digits, '.' and '-').`,
      );
    }
    this.bucket = options.bucket;
    this.prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    if (this.prefix !== '') assertValidKey(this.prefix);
    this.options = options;
    this.description = `S3 bucket s3://${joinKey(this.bucket, this.prefix)}`;
  }

  localPath(_key: string): null {
    return null;
  }

  url(key: string): string {
    return `s3://${this.bucket}/${this.objectKey(key)}`;
  }

  async get(key: string): Promise<Buffer | null> {
    const objectKey = this.objectKey(key);
    const { sdk, client } = await this.connect();
    try {
      const out = await client.send(
        new sdk.GetObjectCommand({ Bucket: this.bucket, Key: objectKey }),
      );
      if (!out.Body) return Buffer.alloc(0);
      return Buffer.from(await out.Body.transformToByteArray());
    } catch (err) {
      if (isNotFound(err) && errorName(err) !== 'NoSuchBucket') return null;
      throw this.wrap(err, 'read', key);
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const objectKey = this.objectKey(key);
    const { sdk, client } = await this.connect();
    try {
      const out = await client.send(
        new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }),
      );
      return { size: out.ContentLength ?? 0, lastModified: out.LastModified?.getTime() ?? 0 };
    } catch (err) {
      // A HEAD answer has no body, so a missing bucket looks like a missing key here.
      if (isNotFound(err)) return null;
      throw this.wrap(err, 'inspect', key);
    }
  }

  async putIfAbsent(key: string, data: Buffer): Promise<boolean> {
    const objectKey = this.objectKey(key);
    const { sdk, client } = await this.connect();
    for (let attempt = 1; ; attempt++) {
      try {
        await client.send(
          new sdk.PutObjectCommand({
            Bucket: this.bucket,
            Key: objectKey,
            Body: data,
            IfNoneMatch: '*',
          }),
        );
        return true;
      } catch (err) {
        const status = httpStatus(err);
        if (status === 412) {
          // The SDK retries requests whose answer was lost. If our first attempt did land, its
          // retry finds our own object: that is a win, not a lost race.
          if (sdkAttempts(err) > 1) return (await this.get(key))?.equals(data) ?? false;
          return false;
        }
        // 409 ConditionalRequestConflict: another conditional write to the key is in flight. S3
        // asks to retry; the retry then sees the winner's object (412) or wins.
        if (status === 409 && attempt < CONFLICT_ATTEMPTS) {
          await sleep(backoffDelay(attempt, { initialMs: 20, maxMs: 500 }));
          continue;
        }
        throw this.wrap(err, 'create', key);
      }
    }
  }

  async put(key: string, data: Buffer): Promise<void> {
    const objectKey = this.objectKey(key);
    const { sdk, client } = await this.connect();
    try {
      await client.send(
        new sdk.PutObjectCommand({ Bucket: this.bucket, Key: objectKey, Body: data }),
      );
    } catch (err) {
      throw this.wrap(err, 'write', key);
    }
  }

  async putFile(key: string, localPath: string): Promise<void> {
    const objectKey = this.objectKey(key);
    const { sdk, client } = await this.connect();
    const { size } = await fs.stat(localPath);
    try {
      // Streamed, not buffered: data files can be large. One PUT carries up to 5 GB.
      await client.send(
        new sdk.PutObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          Body: createReadStream(localPath),
          ContentLength: size,
        }),
      );
    } catch (err) {
      throw this.wrap(err, 'upload', key);
    }
    await fs.rm(localPath, { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    const { sdk, client } = await this.connect();
    const root = this.prefix === '' ? '' : `${this.prefix}/`;
    const keys: string[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await client.send(
          new sdk.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: root + prefix,
            ContinuationToken: token,
          }),
        );
      } catch (err) {
        throw this.wrap(err, 'list', prefix);
      }
      for (const obj of page.Contents ?? []) {
        if (obj.Key !== undefined && obj.Key.startsWith(root))
          keys.push(obj.Key.slice(root.length));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    // S3 sorts by UTF-8 bytes; sort like the other stores do, so callers see one order.
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    const objectKey = this.objectKey(key);
    const { sdk, client } = await this.connect();
    try {
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    } catch (err) {
      if (isNotFound(err) && errorName(err) !== 'NoSuchBucket') return;
      throw this.wrap(err, 'delete', key);
    }
  }

  /**
   * Downloads `key` to `<cacheDir>/<store hash>/<key>` unless it is already there, and returns
   * that path. Data files and checkpoints are never rewritten under the same name (the protocol
   * forbids it), so a copy once complete stays right; it is written under a temporary name and
   * renamed, so a crash never leaves a partial file under the real one. The cache is not evicted
   * by Freshet: point `cacheDir` at a folder that is cleaned (the default is under the OS tmpdir).
   */
  async cacheLocally(key: string): Promise<string> {
    const store = createHash('sha256')
      .update(`${this.bucket}/${this.prefix}`)
      .digest('hex')
      .slice(0, 16);
    const cacheDir = this.options.cacheDir ?? path.join(os.tmpdir(), 'freshet-s3-cache');
    assertValidKey(key);
    const target = path.join(cacheDir, store, ...key.split('/'));
    if (await isFile(target)) return target;
    const objectKey = this.objectKey(key);
    const { sdk, client } = await this.connect();
    await fs.mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${randomUUID()}.part`;
    try {
      const out = await client.send(
        new sdk.GetObjectCommand({ Bucket: this.bucket, Key: objectKey }),
      );
      if (!(out.Body instanceof Readable)) {
        throw new LakeError(`S3 returned no readable body for '${key}'.`);
      }
      await pipeline(out.Body, createWriteStream(temp, { flags: 'wx' }));
      await fs.rename(temp, target);
    } catch (err) {
      await fs.rm(temp, { force: true });
      if (err instanceof LakeError) throw err;
      if (isNotFound(err)) {
        throw new LakeError(
          `Cannot cache '${key}' from ${this.description}: the object does not exist. A table that ` +
            `names it in its log has lost a data file (vacuumed too early, or deleted by hand).`,
          { cause: err },
        );
      }
      throw this.wrap(err, 'download', key);
    }
    return target;
  }

  // ----------------------------------------------------------------------------------------------

  private objectKey(key: string): string {
    assertValidKey(key);
    return joinKey(this.prefix, key);
  }

  private connect(): Promise<{ sdk: S3Sdk; client: S3Client }> {
    this.clientPromise ??= import('@aws-sdk/client-s3').then((sdk) => ({
      sdk,
      client: this.options.client ?? new sdk.S3Client(clientConfig(this.options)),
    }));
    return this.clientPromise;
  }

  private wrap(err: unknown, action: string, key: string): LakeError {
    const name = errorName(err) ?? 'Error';
    const status = httpStatus(err);
    const detail = (err instanceof Error ? err.message : String(err)).replace(/\.$/, '');
    let hint = 'Check the endpoint, region and network, then retry.';
    if (name === 'NoSuchBucket') hint = `Create the bucket '${this.bucket}' first.`;
    else if (status === 401 || status === 403)
      hint =
        'Check the credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE) and the bucket policy.';
    else if (status === 501 && action === 'create')
      hint =
        'This store does not support conditional writes (If-None-Match), which Delta commits need.';
    return new LakeError(
      `Could not ${action} '${key}' in ${this.description}: ${name}${status ? ` (HTTP ${status})` : ''}: ${detail}. ${hint}`,
      { cause: err },
    );
  }
}

function clientConfig(options: S3ObjectStoreOptions): S3ClientConfig {
  const env = process.env;
  const endpoint = options.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const region =
    options.region ??
    env.AWS_REGION ??
    env.AWS_DEFAULT_REGION ??
    (endpoint === undefined ? undefined : 'us-east-1');
  return {
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    // Newer SDKs add CRC checksums to every request by default, which several S3-compatible
    // stores reject; send them only where an operation requires one.
    ...(endpoint === undefined
      ? {}
      : {
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }),
  };
}

function httpStatus(err: unknown): number | undefined {
  const meta = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return meta?.httpStatusCode;
}

function sdkAttempts(err: unknown): number {
  const meta = (err as { $metadata?: { attempts?: number } } | null)?.$metadata;
  return meta?.attempts ?? 1;
}

function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

function isNotFound(err: unknown): boolean {
  const name = errorName(err);
  return httpStatus(err) === 404 || name === 'NoSuchKey' || name === 'NotFound';
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}
