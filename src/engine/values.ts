import {
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBStructValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBMapValue,
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBIntervalValue,
  DuckDBUUIDValue,
  type DuckDBValue,
} from '@duckdb/node-api';

/** A value as it leaves Freshet's engine: plain JSON, timestamps as ISO-8601 UTC strings. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

function microsToIso(micros: bigint): string {
  // Millisecond precision is what JSON clients (and the Delta stats format) expect.
  const ms = micros / 1000n;
  if (ms > 8_640_000_000_000_000n || ms < -8_640_000_000_000_000n)
    return micros > 0 ? 'infinity' : '-infinity';
  return new Date(Number(ms)).toISOString();
}

/**
 * Converts a DuckDB value to plain JSON. BIGINTs that fit in a double become numbers (counts and
 * offsets always do); larger ones become strings rather than silently losing digits. Decimals
 * become numbers only when exact enough to trust, otherwise their exact string.
 */
export function toJsonValue(value: DuckDBValue): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint')
    return value <= MAX_SAFE && value >= MIN_SAFE ? Number(value) : value.toString();
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')
    return value;
  if (value instanceof DuckDBTimestampTZValue || value instanceof DuckDBTimestampValue)
    return microsToIso(value.micros);
  if (value instanceof DuckDBDateValue) return value.toString();
  if (value instanceof DuckDBDecimalValue) {
    const asNumber = value.toDouble();
    return Math.abs(asNumber) < 2 ** 53 / 10 ** value.scale ? asNumber : value.toString();
  }
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue)
    return value.items.map(toJsonValue);
  if (value instanceof DuckDBStructValue) {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value.entries)) out[k] = toJsonValue(v);
    return out;
  }
  if (value instanceof DuckDBMapValue) {
    const out: Record<string, JsonValue> = {};
    for (const { key, value: v } of value.entries) out[String(toJsonValue(key))] = toJsonValue(v);
    return out;
  }
  if (value instanceof DuckDBBlobValue) return Buffer.from(value.bytes).toString('base64');
  if (value instanceof DuckDBIntervalValue || value instanceof DuckDBUUIDValue)
    return value.toString();
  return String(value);
}
