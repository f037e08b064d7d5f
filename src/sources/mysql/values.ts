// Turns a MySQL/MariaDB column value into JSON, the same way whether it came from the snapshot's
// SELECT (mysql2, dateStrings) or from a binlog row (zongji, which honours the same connection
// settings). Both hand over JS values (numbers, exact strings for big integers and decimals,
// date strings, Buffers), so one converter keyed by the column's declared type keeps the snapshot
// and the stream identical. Mapping follows Debezium's MySQL connector with
// decimal.handling.mode=string, binary.handling.mode=base64 and time.precision.mode=connect-ish
// string forms. What JSON cannot hold exactly throws ValueConversionError (→ quarantine).

import { ValueConversionError, type JsonValue } from '../postgres/values.js';

export { ValueConversionError };

/** How a column's values are represented in JSON. */
export type ValueKind =
  | 'integer'
  | 'number'
  | 'decimal'
  | 'boolean'
  | 'bytes'
  | 'date'
  | 'datetime'
  | 'timestamp'
  | 'json'
  | 'string';

const INTEGER = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'year']);
const FLOAT = new Set(['float', 'double', 'real', 'double precision']);
const BYTES = new Set([
  'binary',
  'varbinary',
  'tinyblob',
  'blob',
  'mediumblob',
  'longblob',
  'geometry',
  'point',
  'linestring',
  'polygon',
]);

/** The kind of a column from information_schema's DATA_TYPE and COLUMN_TYPE. */
export function valueKind(dataType: string, columnType: string): ValueKind {
  const t = dataType.toLowerCase();
  if (INTEGER.has(t)) return 'integer';
  if (FLOAT.has(t)) return 'number';
  if (t === 'decimal' || t === 'numeric') return 'decimal';
  if (t === 'bit') return /^bit\(1\)$/i.test(columnType) ? 'boolean' : 'bytes';
  if (BYTES.has(t)) return 'bytes';
  if (t === 'date') return 'date';
  if (t === 'datetime') return 'datetime';
  if (t === 'timestamp') return 'timestamp';
  if (t === 'json') return 'json';
  return 'string';
}

/** The JSON Schema type of a kind (every column is also nullable in the envelope). */
export function jsonTypeOf(kind: ValueKind): string {
  if (kind === 'integer') return 'integer';
  if (kind === 'number') return 'number';
  if (kind === 'boolean') return 'boolean';
  return 'string';
}

/** Debezium's semantic type name, where it sets one. */
export function semanticTypeOf(kind: ValueKind): string | null {
  if (kind === 'date') return 'io.debezium.time.Date';
  if (kind === 'datetime') return 'io.debezium.time.Timestamp';
  if (kind === 'timestamp') return 'io.debezium.time.ZonedTimestamp';
  if (kind === 'json') return 'io.debezium.data.Json';
  return null;
}

/** "2024-01-02 03:04:05.120000" → "2024-01-02T03:04:05.12" (trailing fraction zeros dropped). */
function isoLocal(where: string, text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/.exec(text);
  if (!m) throw new ValueConversionError(`${where}: "${text}" is not a date-time`);
  if (m[1]!.startsWith('0000') || m[1]!.includes('-00')) {
    throw new ValueConversionError(`${where}: the zero date "${text}" is not a real date-time`);
  }
  const frac = (m[3] ?? '').replace(/0+$/, '');
  return `${m[1]}T${m[2]}${frac ? `.${frac}` : ''}`;
}

function dateText(where: string, v: unknown): string {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new ValueConversionError(`${where}: an invalid date`);
    return v.toISOString().replace('Z', '');
  }
  return String(v);
}

export function convertValue(where: string, kind: ValueKind, v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  switch (kind) {
    case 'integer': {
      const n = typeof v === 'number' ? v : Number(String(v));
      if (!Number.isSafeInteger(n)) {
        throw new ValueConversionError(
          `${where}: ${String(v)} does not fit the integers JSON numbers hold exactly (±2^53−1)`,
        );
      }
      return n;
    }
    case 'number': {
      const n = Number(v);
      if (!Number.isFinite(n))
        throw new ValueConversionError(`${where}: ${String(v)} is not finite`);
      return n;
    }
    case 'decimal':
      return String(v);
    case 'boolean':
      if (Buffer.isBuffer(v)) return v.some((b) => b !== 0);
      return Number(v) !== 0;
    case 'bytes':
      return Buffer.isBuffer(v) ? v.toString('base64') : Buffer.from(String(v)).toString('base64');
    case 'date': {
      const text = dateText(where, v).slice(0, 10);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || text.startsWith('0000') || text.includes('-00')) {
        throw new ValueConversionError(`${where}: "${text}" is not a real date`);
      }
      return text;
    }
    case 'datetime':
      return isoLocal(where, dateText(where, v));
    case 'timestamp':
      // Both connections run in UTC, so the text is the UTC instant (Debezium's ZonedTimestamp).
      return `${isoLocal(where, dateText(where, v))}Z`;
    case 'json':
      return typeof v === 'string' ? v : JSON.stringify(v);
    case 'string':
      return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
}
