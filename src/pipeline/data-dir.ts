import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

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
export async function prepareDataDir(dir: string, opts: { create: boolean }): Promise<string> {
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
      { format: FORMAT, version: FORMAT_VERSION, createdAt: new Date().toISOString() },
      null,
      2,
    ) + '\n',
  );
  return abs;
}
