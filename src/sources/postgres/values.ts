// PostgreSQL column values (text format, as pgoutput and a text-mode query send them) to the JSON
// values Debezium's JSON converter writes with its default settings, except numeric: Debezium's
// default (decimal.handling.mode=precise) writes base64 bytes of the unscaled value, unreadable
// downstream, so numeric is written as its exact decimal string (Debezium's `string` mode).
//   bool → boolean; int2/int4/oid → integer; int8 → integer (refused beyond ±2^53, see below);
//   float4/float8 → number; numeric/money → string; date → days since 1970-01-01
//   (io.debezium.time.Date); timestamp → microseconds since 1970 (MicroTimestamp); timestamptz →
//   ISO-8601 UTC string (ZonedTimestamp); time → microseconds since midnight (MicroTime);
//   bytea → base64; json/jsonb/text/varchar/uuid/enums/arrays/everything else → the text as is.
// Values JSON cannot hold exactly (NaN, ±Infinity, infinite dates, int8 beyond 2^53) are refused
// with a ValueConversionError naming table, column and value: the source sends that row to
// quarantine with the reason rather than writing a wrong number.

export const TYPE = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  money: 790,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const;

export type JsonValue = string | number | boolean | null;

export class ValueConversionError extends Error {
  override name = 'ValueConversionError';
}

/** The JSON Schema type a column's non-null values have. */
export function jsonTypeFor(typeOid: number): 'boolean' | 'integer' | 'number' | 'string' {
  switch (typeOid) {
    case TYPE.bool:
      return 'boolean';
    case TYPE.int2:
    case TYPE.int4:
    case TYPE.int8:
    case TYPE.oid:
    case TYPE.date:
    case TYPE.timestamp:
    case TYPE.time:
      return 'integer';
    case TYPE.float4:
    case TYPE.float8:
      return 'number';
    default:
      return 'string';
  }
}

/** Debezium's semantic type name for a column (the `name` its schema carries), if any. */
export function semanticTypeFor(typeOid: number): string | undefined {
  switch (typeOid) {
    case TYPE.date:
      return 'io.debezium.time.Date';
    case TYPE.timestamp:
      return 'io.debezium.time.MicroTimestamp';
    case TYPE.timestamptz:
      return 'io.debezium.time.ZonedTimestamp';
    case TYPE.time:
      return 'io.debezium.time.MicroTime';
    case TYPE.json:
    case TYPE.jsonb:
      return 'io.debezium.data.Json';
    case TYPE.uuid:
      return 'io.debezium.data.Uuid';
    default:
      return undefined;
  }
}

const DAY_MS = 86_400_000;

function refuse(column: string, typeName: string, text: string, why: string): never {
  throw new ValueConversionError(
    `column "${column}" (${typeName}) has value "${text.length > 64 ? `${text.slice(0, 64)}…` : text}" that ${why}`,
  );
}

function parseTimestampMicros(column: string, text: string, zoned: boolean): bigint {
  // PostgreSQL's ISO output (DateStyle ISO, which the source sets on its sessions):
  // "2024-01-31 12:34:56.789012[+05:30]" and " BC" for years before 1.
  const m =
    /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([+-])(\d{2})(?::?(\d{2}))?(?::(\d{2}))?)?$/.exec(
      text,
    );
  if (!m) {
    return refuse(
      column,
      zoned ? 'timestamptz' : 'timestamp',
      text,
      'is not a finite ISO timestamp (infinity and BC dates have no JSON form); change the value or exclude the column',
    );
  }
  const [, y, mo, d, h, mi, s, frac, sign, oh, om, os] = m;
  let millis = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number(y) < 100) {
    const dt = new Date(millis);
    dt.setUTCFullYear(Number(y));
    millis = dt.getTime();
  }
  let micros = BigInt(millis) * 1000n + BigInt((frac ?? '').padEnd(6, '0') || '0');
  if (sign) {
    const offsetSeconds = Number(oh) * 3600 + Number(om ?? 0) * 60 + Number(os ?? 0);
    micros -= BigInt((sign === '-' ? -1 : 1) * offsetSeconds) * 1_000_000n;
  }
  return micros;
}

/**
 * Converts one column's text to its JSON value. `column` names it in errors ("public.orders.total").
 */
export function convertValue(column: string, typeOid: number, text: string): JsonValue {
  switch (typeOid) {
    case TYPE.bool:
      return text === 't';
    case TYPE.int2:
    case TYPE.int4:
    case TYPE.oid:
      return Number(text);
    case TYPE.int8: {
      const n = Number(text);
      if (!Number.isSafeInteger(n)) {
        return refuse(
          column,
          'int8',
          text,
          'is beyond ±2^53 and would lose digits as a JSON number',
        );
      }
      return n;
    }
    case TYPE.float4:
    case TYPE.float8: {
      const n = Number(text);
      if (!Number.isFinite(n))
        return refuse(column, 'float', text, 'is not finite; JSON has no NaN or Infinity');
      return n;
    }
    case TYPE.date: {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
      if (!m)
        return refuse(
          column,
          'date',
          text,
          'is not a finite ISO date (infinity and BC dates have no JSON form)',
        );
      return Math.round(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS);
    }
    case TYPE.timestamp: {
      const micros = parseTimestampMicros(column, text, false);
      return Number(micros);
    }
    case TYPE.timestamptz: {
      const micros = parseTimestampMicros(column, text, true);
      const iso = new Date(Number(micros / 1000n)).toISOString();
      const sub = (((micros % 1_000_000n) + 1_000_000n) % 1_000_000n).toString().padStart(6, '0');
      return `${iso.slice(0, 19)}.${sub}Z`;
    }
    case TYPE.time: {
      const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(text);
      if (!m) return refuse(column, 'time', text, 'is not an ISO time of day');
      return (
        ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1_000_000 +
        Number((m[4] ?? '').padEnd(6, '0') || '0')
      );
    }
    case TYPE.bytea: {
      if (!text.startsWith('\\x')) {
        return refuse(
          column,
          'bytea',
          text,
          'is not in hex output format (bytea_output = hex is set on the source sessions)',
        );
      }
      return Buffer.from(text.slice(2), 'hex').toString('base64');
    }
    default:
      return text;
  }
}
