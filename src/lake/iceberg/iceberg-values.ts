import { LakeError } from '../errors.js';

/**
 * Values crossing from Delta to Iceberg: partition values (strings in the Delta log, typed values
 * in Iceberg manifests) and column bounds (JSON statistics in Delta, Iceberg's binary
 * single-value serialisation in manifests: Iceberg spec, Appendix D).
 */

/** A value as it goes into an Avro partition tuple: numbers for int/long/date/timestamp types. */
export type PartitionValue = string | number | boolean | null;

const MICROS_PER_DAY = 86_400_000_000;

/** Primitive Iceberg types that identity partitions support here. */
export function isPartitionableType(type: string): boolean {
  return /^(string|int|long|boolean|float|double|date|timestamp|timestamptz)$/.test(type);
}

/**
 * A Delta partition value (PROTOCOL.md, "Partition Value Serialization") as Iceberg's typed value.
 * Delta writes null, and for every type also the empty string, for a null value.
 */
export function partitionValue(raw: string | null | undefined, type: string): PartitionValue {
  if (raw === null || raw === undefined || raw === '') return null;
  switch (type) {
    case 'string':
      return raw;
    case 'int':
    case 'long': {
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) throw badValue(raw, type);
      return n;
    }
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw badValue(raw, type);
      return raw === 'true';
    case 'float':
    case 'double': {
      const n = Number(raw);
      if (Number.isNaN(n) && raw !== 'NaN') throw badValue(raw, type);
      return n;
    }
    case 'date': {
      const micros = parseTimestampMicros(`${raw}T00:00:00Z`);
      if (micros === undefined) throw badValue(raw, type);
      return micros / MICROS_PER_DAY;
    }
    case 'timestamp':
    case 'timestamptz': {
      const micros = parseTimestampMicros(raw);
      if (micros === undefined) throw badValue(raw, type);
      return micros;
    }
    default:
      throw new LakeError(`Partition values of Iceberg type ${type} are not supported.`);
  }
}

/**
 * Iceberg's binary single-value serialisation of a bound, or undefined when this type's bounds
 * are not written (decimal, binary, nested) or the value cannot be represented exactly.
 */
export function encodeValue(value: PartitionValue | bigint, type: string): Buffer | undefined {
  if (value === null) return undefined;
  switch (type) {
    case 'boolean':
      return Buffer.from([value === true ? 1 : 0]);
    case 'int':
    case 'date': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return undefined;
      if (value < -(2 ** 31) || value >= 2 ** 31) return undefined;
      const buf = Buffer.alloc(4);
      buf.writeInt32LE(value);
      return buf;
    }
    case 'long':
    case 'timestamp':
    case 'timestamptz': {
      const big =
        typeof value === 'bigint'
          ? value
          : typeof value === 'number' && Number.isSafeInteger(value)
            ? BigInt(value)
            : undefined;
      if (big === undefined) return undefined;
      const buf = Buffer.alloc(8);
      buf.writeBigInt64LE(big);
      return buf;
    }
    case 'float': {
      if (typeof value !== 'number' || Number.isNaN(value)) return undefined;
      const buf = Buffer.alloc(4);
      buf.writeFloatLE(value);
      return buf;
    }
    case 'double': {
      if (typeof value !== 'number' || Number.isNaN(value)) return undefined;
      const buf = Buffer.alloc(8);
      buf.writeDoubleLE(value);
      return buf;
    }
    case 'string':
      return typeof value === 'string' ? Buffer.from(value, 'utf8') : undefined;
    default:
      return undefined;
  }
}

/**
 * Spark truncates string statistics to their first 32 characters: a truncated minimum is still a
 * lower bound, but a truncated maximum is not an upper bound. Maxima shorter than this are whole.
 */
const STRING_STATS_PREFIX = 32;

/**
 * An Iceberg bound from a Delta min/max statistic, widened where Delta's format loses precision:
 * timestamps are stored to the millisecond (so an upper bound covers the whole millisecond), and
 * strings may be truncated. Undefined when no safe bound can be given.
 */
export function boundFromStat(
  stat: unknown,
  type: string,
  side: 'lower' | 'upper',
): Buffer | undefined {
  if (stat === null || stat === undefined) return undefined;
  switch (type) {
    case 'boolean':
      return typeof stat === 'boolean' ? encodeValue(stat, type) : undefined;
    case 'int':
    case 'long':
      // Statistics may have passed through a double: only exact integers are trusted.
      return typeof stat === 'number' && Number.isSafeInteger(stat)
        ? encodeValue(stat, type)
        : undefined;
    case 'float':
    case 'double':
      return typeof stat === 'number' && Number.isFinite(stat)
        ? encodeValue(stat, type)
        : undefined;
    case 'date': {
      if (typeof stat !== 'string') return undefined;
      const micros = parseTimestampMicros(`${stat.slice(0, 10)}T00:00:00Z`);
      return micros === undefined ? undefined : encodeValue(micros / MICROS_PER_DAY, type);
    }
    case 'timestamp':
    case 'timestamptz': {
      if (typeof stat !== 'string') return undefined;
      const micros = parseTimestampMicros(stat);
      if (micros === undefined) return undefined;
      const ms = Math.floor(micros / 1000);
      return encodeValue(side === 'lower' ? ms * 1000 : ms * 1000 + 999, type);
    }
    case 'string': {
      if (typeof stat !== 'string') return undefined;
      if (side === 'upper' && [...stat].length >= STRING_STATS_PREFIX) return undefined;
      return encodeValue(stat, type);
    }
    default:
      return undefined;
  }
}

/**
 * Microseconds since the epoch of a Delta timestamp: '2024-03-01 09:00:00', with an optional
 * fraction of up to 6 digits, a 'T' instead of the space, and 'Z' or an offset. Without a zone
 * the value is taken as UTC (Delta writes partition timestamps in UTC; timestamp_ntz has none).
 */
export function parseTimestampMicros(text: string): number | undefined {
  const m =
    /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(
      text.trim(),
    );
  if (!m) return undefined;
  const zone = m[4] === undefined || m[4] === 'Z' ? 'Z' : m[4];
  const seconds = Date.parse(`${m[1]}T${m[2]}${zone}`);
  if (Number.isNaN(seconds)) return undefined;
  const fraction = Number((m[3] ?? '').padEnd(6, '0').slice(0, 6));
  return seconds * 1000 + fraction;
}

function badValue(raw: string, type: string): LakeError {
  return new LakeError(
    `The Delta partition value '${raw}' is not a valid ${type}; the table's log is inconsistent with its schema.`,
  );
}
