/**
 * The table properties (metaData.configuration) that change how Freshet reads or writes a table.
 * Values are strings in the log; these helpers parse them with the protocol's defaults.
 */

type Configuration = Readonly<Record<string, string>>;

const DAY_MS = 24 * 60 * 60 * 1000;

/** `delta.checkpointInterval`: commits between checkpoints; `fallback` when unset or invalid. */
export function checkpointInterval(config: Configuration, fallback: number): number {
  const raw = config['delta.checkpointInterval'];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** `delta.appendOnly`: when true, commits must not remove data. */
export function isAppendOnly(config: Configuration): boolean {
  return config['delta.appendOnly']?.toLowerCase() === 'true';
}

/** `delta.columnMapping.mode`: 'none' (default), 'name' or 'id'. */
export function columnMappingMode(config: Configuration): string {
  return config['delta.columnMapping.mode'] ?? 'none';
}

/**
 * `delta.deletedFileRetentionDuration` (default 'interval 1 week'): how long a remove tombstone is
 * kept in checkpoints, so that VACUUM never deletes a file a running reader may still open.
 */
export function deletedFileRetentionMs(config: Configuration): number {
  return parseInterval(config['delta.deletedFileRetentionDuration']) ?? 7 * DAY_MS;
}

const UNIT_MS: Record<string, number> = {
  millisecond: 1,
  second: 1000,
  minute: 60 * 1000,
  hour: 60 * 60 * 1000,
  day: DAY_MS,
  week: 7 * DAY_MS,
};

/** Parses Spark's calendar interval strings such as 'interval 7 days' or '2 weeks'. */
export function parseInterval(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(?:interval\s+)?(\d+)\s+([a-z]+?)s?\s*$/i.exec(value);
  if (!m) return undefined;
  const unit = UNIT_MS[m[2]!.toLowerCase()];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}
