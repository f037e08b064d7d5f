import { describe, expect, it } from 'vitest';
import { avroName } from './manifest-avro.js';
import {
  boundFromStat,
  encodeValue,
  parseTimestampMicros,
  partitionValue,
} from './iceberg-values.js';

describe('Delta values as Iceberg values', () => {
  it('parses Delta timestamps to microseconds, in UTC unless a zone is given', () => {
    const base = Date.UTC(2024, 2, 1, 9) * 1000;
    expect(parseTimestampMicros('2024-03-01 09:00:00')).toBe(base);
    expect(parseTimestampMicros('2024-03-01T09:00:00.123456Z')).toBe(base + 123_456);
    expect(parseTimestampMicros('2024-03-01 14:30:00.5+05:30')).toBe(base + 500_000);
    expect(parseTimestampMicros('yesterday')).toBeUndefined();
  });

  it('types partition values, with null and the empty string as null', () => {
    expect(partitionValue('42', 'long')).toBe(42);
    expect(partitionValue('true', 'boolean')).toBe(true);
    expect(partitionValue('1970-01-03', 'date')).toBe(2);
    expect(partitionValue('1970-01-01 00:00:01', 'timestamptz')).toBe(1_000_000);
    expect(partitionValue('', 'int')).toBeNull();
    expect(partitionValue(null, 'string')).toBeNull();
    expect(() => partitionValue('x', 'int')).toThrow(/not a valid int/);
  });

  it("encodes bounds in Iceberg's single-value binary form", () => {
    expect(encodeValue(1, 'int')).toEqual(Buffer.from([1, 0, 0, 0]));
    expect(encodeValue(-1, 'long')).toEqual(Buffer.alloc(8, 0xff));
    expect(encodeValue('é', 'string')).toEqual(Buffer.from([0xc3, 0xa9]));
    expect(encodeValue(true, 'boolean')).toEqual(Buffer.from([1]));
    expect(encodeValue(1.5, 'double')!.readDoubleLE()).toBe(1.5);
  });

  it('widens or drops statistics that are not exact bounds', () => {
    // Millisecond timestamps: the upper bound covers the whole millisecond.
    const upper = boundFromStat('2024-03-01T09:00:00.123Z', 'timestamptz', 'upper')!;
    expect(upper.readBigInt64LE()).toBe(BigInt(Date.UTC(2024, 2, 1, 9) * 1000 + 123_999));
    // A maximum that may be a truncated prefix is no upper bound; as a minimum it is fine.
    const long = 'x'.repeat(32);
    expect(boundFromStat(long, 'string', 'upper')).toBeUndefined();
    expect(boundFromStat(long, 'string', 'lower')).toEqual(Buffer.from(long));
    // A long that went through a double may have lost its low digits.
    expect(boundFromStat(2 ** 60, 'long', 'lower')).toBeUndefined();
    expect(boundFromStat(1.5, 'int', 'lower')).toBeUndefined();
    expect(boundFromStat('2024-03-01', 'date', 'lower')).toEqual(encodeValue(19783, 'int'));
  });

  it('makes Avro-legal partition field names the way Iceberg Java does', () => {
    expect(avroName('region')).toBe('region');
    expect(avroName('store-id')).toBe('store_x2Did');
    expect(avroName('1st')).toBe('_1st');
  });
});
