import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ActionFormatError,
  parseAction,
  parseCommitFile,
  type Action,
  type SidecarAction,
} from './actions.js';
import { CHECKPOINT_ACTION_COLUMNS } from './checkpoint-schema.js';
import { decodeLogPath } from './data-file-paths.js';
import { CorruptLogError } from './errors.js';
import { SIDECARS_DIR } from './log-files.js';
import { joinKey, type ObjectStore } from './object-store.js';
import { readParquetColumnsAsJson } from './parquet-codec.js';

/** The only actions a sidecar file may hold (PROTOCOL.md, "Sidecar Files"). */
const SIDECAR_ACTION_COLUMNS = ['add', 'remove'] as const;

/**
 * Reads the actions of any checkpoint: classic or multi-part Parquet (V1 spec), or a V2 spec one
 * (UUID-named JSON or Parquet, or classic-named Parquet) whose `sidecar` actions point at Parquet
 * files in `_delta_log/_sidecars/` holding its add and remove actions; those are read too and
 * returned in place of the sidecar actions. Any failure (a missing part or sidecar, a file that is
 * not Parquet, a malformed row) is a CorruptLogError, so that the snapshot loader can fall back to
 * an older checkpoint or to the JSON commits.
 */
export async function readCheckpoint(store: ObjectStore, keys: string[]): Promise<Action[]> {
  const first = keys[0]!;
  let actions: Action[];
  if (keys.length === 1 && first.endsWith('.json')) {
    const data = await store.get(first);
    if (data === null) throw new CorruptLogError(first, 'the checkpoint file is missing');
    actions = parseCommitFile(data.toString('utf8'), first);
  } else {
    actions = await readParquetActions(store, keys, CHECKPOINT_ACTION_COLUMNS);
  }
  const sidecars = actions.flatMap((a) => ('sidecar' in a ? [a.sidecar] : []));
  if (sidecars.length === 0) return actions;
  const logDir = first.slice(0, first.lastIndexOf('/'));
  const sidecarKeys = sidecars.map((s) => sidecarKey(logDir, s, first));
  const fileActions = await readParquetActions(store, sidecarKeys, SIDECAR_ACTION_COLUMNS);
  return [...actions.filter((a) => !('sidecar' in a)), ...fileActions];
}

/**
 * Sidecars live in `_delta_log/_sidecars/`; the action should name only the file, but a full URI
 * or a path ending in that folder is accepted.
 */
function sidecarKey(logDir: string, sidecar: SidecarAction, checkpointKey: string): string {
  const path = decodeLogPath(sidecar.path);
  const marker = `/${SIDECARS_DIR}/`;
  const name = path.includes(marker) ? path.slice(path.lastIndexOf(marker) + marker.length) : path;
  if (
    /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(name) ||
    name.split('/').some((s) => s === '..' || s === '')
  ) {
    throw new CorruptLogError(
      checkpointKey,
      `sidecar path '${sidecar.path}' is not in ${SIDECARS_DIR}/`,
    );
  }
  return joinKey(logDir, SIDECARS_DIR, name);
}

/** The actions in the given columns of one or more Parquet files (checkpoint parts, sidecars). */
async function readParquetActions(
  store: ObjectStore,
  keys: string[],
  columns: readonly string[],
): Promise<Action[]> {
  let tempDir: string | undefined;
  try {
    const files: string[] = [];
    for (const key of keys) {
      const local = store.localPath(key);
      if (local !== null) {
        if (!(await exists(local)))
          throw new CorruptLogError(key, 'the checkpoint file is missing');
        files.push(local);
        continue;
      }
      // Remote store: DuckDB reads local files, so fetch the part first.
      const data = await store.get(key);
      if (data === null) throw new CorruptLogError(key, 'the checkpoint file is missing');
      tempDir ??= await fs.mkdtemp(path.join(os.tmpdir(), 'freshet-checkpoint-'));
      const file = path.join(tempDir, `${files.length}.parquet`);
      await fs.writeFile(file, data);
      files.push(file);
    }
    let rows: Record<string, string | null>[];
    try {
      rows = await readParquetColumnsAsJson(files, columns);
    } catch (err) {
      throw new CorruptLogError(
        keys[0]!,
        `the checkpoint is not readable Parquet (${message(err)})`,
        {
          cause: err,
        },
      );
    }
    return rowsToActions(rows, keys[0]!);
  } finally {
    if (tempDir) await fs.rm(tempDir, { recursive: true, force: true });
  }
}

function rowsToActions(rows: Record<string, string | null>[], key: string): Action[] {
  const actions: Action[] = [];
  for (const [i, row] of rows.entries()) {
    for (const [column, json] of Object.entries(row)) {
      if (json === null) continue;
      try {
        const action = parseAction({ [column]: JSON.parse(json) });
        if (action) actions.push(action);
      } catch (err) {
        if (!(err instanceof ActionFormatError) && !(err instanceof SyntaxError)) throw err;
        throw new CorruptLogError(key, `row ${i + 1}: ${message(err)}`, { cause: err });
      }
    }
  }
  return actions;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
