// The file drop source's durable memory: which files are done (by key and version, so a file
// rewritten under the same name is a new drop), how far into the current file the log holds its
// records, and the log's end offsets when that was saved (recovery reads the log past them to
// find records a crash left unacknowledged). One small JSON file, replaced atomically.

import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../checkpoint-file.js';

/** A file's identity: the same key with another size or modification time is another drop. */
export interface FileVersion {
  key: string;
  size: number;
  /** Milliseconds since the epoch, as the object store reports it. */
  mtime: number;
}

export interface DoneFile {
  size: number;
  mtime: number;
  records: number;
  rejected: number;
  /** Why the file could not be read to its end (its earlier records did flow). */
  error?: string;
  at: string;
}

export interface CurrentFile extends FileVersion {
  /** Every record before this line is durable in the log. */
  nextLine: number;
  records: number;
  rejected: number;
}

export interface LedgerState {
  location: string;
  done: Record<string, DoneFile>;
  current: CurrentFile | null;
  logEnds: Record<string, number[]>;
  /** Records appended by every run (good and quarantined). */
  total: number;
}

export function versionToken(v: FileVersion): string {
  return `${v.mtime}-${v.size}`;
}

export function isDone(state: LedgerState, v: FileVersion): boolean {
  const d = state.done[v.key];
  return d !== undefined && d.size === v.size && d.mtime === v.mtime;
}

export async function loadLedger(path: string, location: string): Promise<LedgerState> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { location, done: {}, current: null, logEnds: {}, total: 0 };
    }
    throw err;
  }
  const state = JSON.parse(text) as LedgerState;
  if (state.location !== location) {
    throw new Error(
      `the checkpoint ${path} belongs to the drop location ${state.location}, not ${location}; give this source its own checkpointPath`,
    );
  }
  return state;
}

export async function saveLedger(path: string, state: LedgerState): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(state));
}
