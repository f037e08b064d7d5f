import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { objectStoreFor, type ObjectStore } from '../lake/index.js';
import { LAKE_DIR, TMP_DIR } from './names.js';

export const MARKER_FILE = 'freshet.json';
const FORMAT = 'freshet-data-dir';
const FORMAT_VERSION = 1;

/** A folder that is not Freshet's, or one Freshet cannot use; the message says what to do. */
export class DataDirError extends Error {
  override name = 'DataDirError';
}

/**
 * Makes sure `dir` is a Freshet data dir: creates it (with its marker file) when it is new or
 * empty, accepts it when the marker is there, and refuses any other folder, so that Freshet never
 * writes into a folder that holds someone else's files.
 */
export async function prepareDataDir(
  dir: string,
  opts: { create: boolean; lake?: string },
): Promise<string> {
  const abs = resolve(dir);
  let entries: string[];
  try {
    entries = await readdir(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR')
      throw new DataDirError(
        `${abs} is a file, not a folder; pass --data-dir with a folder for Freshet's data`,
      );
    if (code !== 'ENOENT')
      throw new DataDirError(
        `cannot read the data dir ${abs} (${code}); check its permissions or pass another --data-dir`,
      );
    if (!opts.create)
      throw new DataDirError(
        `${abs} does not exist; run \`freshet up --data-dir ${dir}\` first, or pass the --data-dir that \`freshet up\` used`,
      );
    entries = [];
  }
  if (entries.includes(MARKER_FILE)) {
    let marker: { format?: string; version?: number };
    try {
      marker = JSON.parse(await readFile(join(abs, MARKER_FILE), 'utf8')) as typeof marker;
    } catch {
      throw new DataDirError(
        `${join(abs, MARKER_FILE)} is damaged; restore it or use a new --data-dir`,
      );
    }
    if (marker.format !== FORMAT)
      throw new DataDirError(
        `${abs} holds a ${MARKER_FILE} that is not Freshet's; pass another --data-dir`,
      );
    if ((marker.version ?? 0) > FORMAT_VERSION) {
      throw new DataDirError(
        `${abs} was written by a newer Freshet (data dir format ${marker.version}); upgrade Freshet to use it`,
      );
    }
    const lake = (marker as { lake?: string }).lake;
    if (opts.lake !== undefined && opts.lake !== (lake ?? join(abs, LAKE_DIR))) {
      throw new DataDirError(
        `${abs} keeps its lake at ${lake ?? join(abs, LAKE_DIR)}; drop --lake to use it, or pass --lake with a new --data-dir`,
      );
    }
    return abs;
  }
  if (entries.length > 0) {
    throw new DataDirError(
      `${abs} is not a Freshet data dir (it has files but no ${MARKER_FILE}); pass --data-dir with a new or empty folder`,
    );
  }
  if (!opts.create)
    throw new DataDirError(
      `${abs} is empty: no platform has run there yet; run \`freshet up --data-dir ${dir}\` first`,
    );
  await mkdir(abs, { recursive: true });
  await writeFile(
    join(abs, MARKER_FILE),
    JSON.stringify(
      {
        format: FORMAT,
        version: FORMAT_VERSION,
        createdAt: new Date().toISOString(),
        ...(opts.lake === undefined ? {} : { lake: opts.lake }),
      },
      null,
      2,
    ) + '\n',
  );
  return abs;
}

/** Where a data dir keeps its lake: a folder inside it (the default) or an object store URL. */
export interface Lake {
  store: ObjectStore;
  /** For messages: the folder or the s3:// URL. */
  location: string;
}

/**
 * The lake of a data dir, as its marker records it. An S3 lake is read through a local cache in
 * the data dir (DuckDB cannot read S3 here); credentials and endpoint come from the usual AWS
 * settings (AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL_S3, AWS_PROFILE, …).
 */
export async function openLake(dataDir: string): Promise<Lake> {
  const abs = resolve(dataDir);
  const marker = JSON.parse(await readFile(join(abs, MARKER_FILE), 'utf8')) as { lake?: string };
  if (!marker.lake)
    return { store: objectStoreFor(join(abs, LAKE_DIR)), location: join(abs, LAKE_DIR) };
  return {
    store: objectStoreFor(marker.lake, { s3: { cacheDir: join(abs, TMP_DIR, 'lake-cache') } }),
    location: marker.lake,
  };
}
