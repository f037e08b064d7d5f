import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ActionFormatError, parseAction, type Action } from './actions.js';
import { CHECKPOINT_ACTION_COLUMNS } from './checkpoint-schema.js';
import { CorruptLogError, UnsupportedFeatureError } from './errors.js';
import type { ObjectStore } from './object-store.js';
import { readParquetColumnsAsJson } from './parquet-codec.js';

/**
 * Reads the actions of a classic or multi-part (V1) Parquet checkpoint. Any failure (a missing
 * part, a file that is not Parquet, a malformed row) is a CorruptLogError, so that the snapshot
 * loader can fall back to an older checkpoint or to the JSON commits.
 */
export async function readCheckpoint(store: ObjectStore, keys: string[]): Promise<Action[]> {
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
      rows = await readParquetColumnsAsJson(files, CHECKPOINT_ACTION_COLUMNS);
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
      if (column === 'sidecar' || column === 'checkpointMetadata') {
        // A V2-spec checkpoint under a classic name: its file actions may live in sidecars.
        throw new UnsupportedFeatureError(['v2Checkpoint'], 'read');
      }
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
