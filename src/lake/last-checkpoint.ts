/**
 * `_delta_log/_last_checkpoint`: a hint pointing at a recent checkpoint so readers need not list
 * the whole log. Only a hint: it may be missing, stale or point at a checkpoint that is gone, and
 * readers must then fall back to listing.
 */
export interface LastCheckpoint {
  version: number;
  /** Number of actions (rows) in the checkpoint. */
  size: number;
  /** Number of parts of a multi-part checkpoint; absent for a single file. */
  parts?: number;
  sizeInBytes?: number;
  numOfAddFiles?: number;
  /** For a V2 checkpoint: its UUID-named file, relative to `_delta_log/`. */
  v2Checkpoint?: { path: string };
}

/** Parses the file; undefined when it is not a usable hint (the caller then lists the log). */
export function parseLastCheckpoint(data: Buffer): LastCheckpoint | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (!isCount(v.version) || !isCount(v.size)) return undefined;
  const hint: LastCheckpoint = { version: v.version, size: v.size };
  if (v.v2Checkpoint !== undefined && v.v2Checkpoint !== null) {
    const path = (v.v2Checkpoint as Record<string, unknown>).path;
    // A V2 hint that names no file is no usable hint.
    if (typeof path !== 'string' || path === '' || path.includes('/')) return undefined;
    hint.v2Checkpoint = { path };
  }
  if (v.parts !== undefined && v.parts !== null) {
    if (!isCount(v.parts) || v.parts < 1) return undefined;
    hint.parts = v.parts;
  }
  if (isCount(v.sizeInBytes)) hint.sizeInBytes = v.sizeInBytes;
  if (isCount(v.numOfAddFiles)) hint.numOfAddFiles = v.numOfAddFiles;
  return hint;
}

export function serializeLastCheckpoint(hint: LastCheckpoint): Buffer {
  return Buffer.from(JSON.stringify(hint));
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}
