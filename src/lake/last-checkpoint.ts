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
  // A V2 checkpoint hint names a UUID file we cannot use; treat it as no hint at all.
  if (v.v2Checkpoint !== undefined) return undefined;
  const hint: LastCheckpoint = { version: v.version, size: v.size };
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
