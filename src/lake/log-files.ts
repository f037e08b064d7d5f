import { joinKey } from './object-store.js';

/**
 * Names of the files in `_delta_log/`. Versions are zero-padded to 20 digits so that a
 * lexicographic listing is also a version-ordered one.
 */

export const LOG_DIR = '_delta_log';
export const LAST_CHECKPOINT = '_last_checkpoint';

/** A file in `_delta_log/` that takes part in log replay. */
export type LogFile =
  | { kind: 'commit'; version: number; name: string }
  /** Classic (part 1 of 1) or multi-part V1 checkpoint. */
  | { kind: 'checkpoint'; version: number; name: string; part: number; parts: number }
  /** UUID-named (V2 spec) checkpoint, in JSON or Parquet; may point at sidecar files. */
  | { kind: 'v2-checkpoint'; version: number; name: string; format: 'json' | 'parquet' }
  /** Log compaction file: the reconciled actions of commits `from`..`version`. */
  | { kind: 'compaction'; from: number; version: number; name: string };

const COMMIT = /^(\d{20})\.json$/;
const CLASSIC_CHECKPOINT = /^(\d{20})\.checkpoint\.parquet$/;
const MULTIPART_CHECKPOINT = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/;
const UUID_CHECKPOINT = /^(\d{20})\.checkpoint\.[0-9a-fA-F-]{36}\.(json|parquet)$/;
const COMPACTION = /^(\d{20})\.(\d{20})\.compacted\.json$/;
/** Folder of V2 checkpoint sidecars, inside `_delta_log/`. */
export const SIDECARS_DIR = '_sidecars';

export function logPrefix(tablePath: string): string {
  return joinKey(tablePath, LOG_DIR) + '/';
}

export function commitKey(tablePath: string, version: number): string {
  return joinKey(tablePath, LOG_DIR, `${pad(version, 20)}.json`);
}

export function classicCheckpointKey(tablePath: string, version: number): string {
  return joinKey(tablePath, LOG_DIR, `${pad(version, 20)}.checkpoint.parquet`);
}

export function multipartCheckpointKey(
  tablePath: string,
  version: number,
  part: number,
  parts: number,
): string {
  return joinKey(
    tablePath,
    LOG_DIR,
    `${pad(version, 20)}.checkpoint.${pad(part, 10)}.${pad(parts, 10)}.parquet`,
  );
}

export function lastCheckpointKey(tablePath: string): string {
  return joinKey(tablePath, LOG_DIR, LAST_CHECKPOINT);
}

/** Parses a file name directly inside `_delta_log/`; undefined for anything else (.crc, ...). */
export function parseLogFileName(name: string): LogFile | undefined {
  let m = COMMIT.exec(name);
  if (m) return { kind: 'commit', version: Number(m[1]), name };
  m = CLASSIC_CHECKPOINT.exec(name);
  if (m) return { kind: 'checkpoint', version: Number(m[1]), name, part: 1, parts: 1 };
  m = MULTIPART_CHECKPOINT.exec(name);
  if (m) {
    const part = Number(m[2]);
    const parts = Number(m[3]);
    if (part < 1 || part > parts) return undefined;
    return { kind: 'checkpoint', version: Number(m[1]), name, part, parts };
  }
  m = UUID_CHECKPOINT.exec(name);
  if (m) {
    return {
      kind: 'v2-checkpoint',
      version: Number(m[1]),
      name,
      format: m[2] as 'json' | 'parquet',
    };
  }
  m = COMPACTION.exec(name);
  if (m) {
    const from = Number(m[1]);
    const to = Number(m[2]);
    return to > from ? { kind: 'compaction', from, version: to, name } : undefined;
  }
  return undefined;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
