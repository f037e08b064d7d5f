import { InvalidArgumentError } from './errors.js';

/**
 * Where tables live: a flat namespace of keys ('/'-separated relative paths such as
 * 'bronze/pos_transactions/_delta_log/00000000000000000000.json') holding immutable-ish blobs.
 *
 * The Delta log is exactly as safe as the guarantees below; an implementation that cannot give
 * one of them must not be used for tables.
 *
 * - `putIfAbsent` is atomic and exclusive: of all writers racing for one key, exactly one gets
 *   `true`, and no reader ever sees a partially written object. This is the whole of Delta's
 *   concurrency control (a commit is "write version N if nobody has").
 * - `put` replaces an object atomically: readers see the old bytes or the new ones.
 * - Once `putIfAbsent` or `put` resolves, the object is durable and visible to every later
 *   `get` and `list` (read-after-write consistency, which S3 has offered since 2020).
 * - `list` returns every key under the prefix, sorted, skipping in-flight temporary objects.
 */
export interface ObjectStore {
  /** Human-readable location for error messages, e.g. "local folder /data/lake". */
  readonly description: string;
  /** The object's bytes, or null when there is none. */
  get(key: string): Promise<Buffer | null>;
  /** Atomically creates the object; false (and nothing written) when the key already exists. */
  putIfAbsent(key: string, data: Buffer): Promise<boolean>;
  /** Atomically creates or replaces the object. */
  put(key: string, data: Buffer): Promise<void>;
  /** Moves a local file into the store under `key`; the local file is gone afterwards. */
  putFile(key: string, localPath: string): Promise<void>;
  /** Every key that starts with `prefix` (recursively), sorted. */
  list(prefix: string): Promise<string[]>;
  /** Removes the object; no error when it does not exist. */
  delete(key: string): Promise<void>;
  /** A filesystem path a local reader (DuckDB) can open, or null for remote stores. */
  localPath(key: string): string | null;
  /** Size and modification time (ms since epoch), or null when absent. Optional. */
  head?(key: string): Promise<ObjectInfo | null>;
  /** A URL a reader can open for remote stores (e.g. 's3://bucket/key'). Optional. */
  url?(key: string): string;
  /**
   * Remote stores: downloads the object to a local file and returns its path, for readers that
   * open only local files. DuckDB reads S3 only through its httpfs extension, which it downloads
   * at run time, and these machines cannot; so engines read remote data files through this.
   * Only for immutable objects (data files, checkpoints): a cached copy is reused as is.
   */
  cacheLocally?(key: string): Promise<string>;
}

export interface ObjectInfo {
  size: number;
  /** Milliseconds since the Unix epoch. */
  lastModified: number;
}

/**
 * Throws unless `key` is a clean relative key: no leading or trailing '/', no empty, '.' or '..'
 * segments, no backslashes. Keys name the same object on every store, so they must not depend on
 * a filesystem's idea of path normalisation.
 */
export function assertValidKey(key: string): void {
  if (key.length === 0) throw new InvalidArgumentError('An object key must not be empty.');
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..' || segment.includes('\\')) {
      throw new InvalidArgumentError(
        `Invalid object key '${key}': use '/'-separated relative paths without empty, '.' or '..' segments.`,
      );
    }
  }
}

/** Joins key segments with '/', skipping empty ones ('' is the store root). */
export function joinKey(...parts: string[]): string {
  return parts.filter((p) => p.length > 0).join('/');
}
