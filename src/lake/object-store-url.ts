import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from './errors.js';
import { LocalObjectStore } from './local-object-store.js';
import type { ObjectStore } from './object-store.js';
import { S3ObjectStore, type S3ObjectStoreOptions } from './s3-object-store.js';

/** Connection settings for stores named by URL; the URL itself gives bucket and prefix. */
export interface ObjectStoreUrlOptions {
  s3?: Omit<S3ObjectStoreOptions, 'bucket' | 'prefix'>;
}

/** One factory per URL scheme: adding a store is adding one line here. */
const FACTORIES: Record<string, (location: string, opts: ObjectStoreUrlOptions) => ObjectStore> = {
  's3:': (location, opts) => new S3ObjectStore({ ...opts.s3, ...parseS3Url(location) }),
  's3a:': (location, opts) => new S3ObjectStore({ ...opts.s3, ...parseS3Url(location) }),
  'file:': (location) => new LocalObjectStore(fileURLToPath(location)),
};

/**
 * The object store a lake root or data folder names: `s3://bucket/prefix` (or `s3a://`) is an
 * S3ObjectStore rooted at that prefix, `file:///path` and plain paths are local folders.
 *
 * @example
 * objectStoreFor('s3://retail-lake/prod', { s3: { endpoint: 'http://127.0.0.1:9000' } });
 * objectStoreFor('./freshet-data/lake');
 */
export function objectStoreFor(location: string, opts: ObjectStoreUrlOptions = {}): ObjectStore {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*:)\/\//.exec(location)?.[1]?.toLowerCase();
  // No scheme (or a Windows drive letter such as 'C:\'): a local path.
  if (scheme === undefined) return new LocalObjectStore(location);
  const factory = FACTORIES[scheme];
  if (!factory) {
    throw new InvalidArgumentError(
      `Unsupported lake location '${location}': use a local path, file:///path or s3://bucket/prefix.`,
    );
  }
  return factory(location, opts);
}

/** Splits 's3://bucket/some/prefix/' into { bucket: 'bucket', prefix: 'some/prefix' }. */
export function parseS3Url(location: string): { bucket: string; prefix: string } {
  const match = /^s3a?:\/\/([^/?#]+)\/*([^?#]*)$/i.exec(location);
  if (!match) {
    throw new InvalidArgumentError(
      `'${location}' is not an S3 location: write s3://bucket or s3://bucket/prefix.`,
    );
  }
  // Taken literally, not percent-decoded: S3 keys are plain strings, as in the AWS CLI.
  return { bucket: match[1]!, prefix: match[2]!.replace(/\/+$/, '') };
}
