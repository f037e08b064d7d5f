import { describe, expect, it } from 'vitest';
import { formatIst, formatUtc, parseEventTs } from './ist-time.js';
import { Prng } from './prng.js';

describe('formatIst', () => {
  it('formats the contract example', () => {
    expect(formatIst(Date.UTC(2026, 10, 24, 15, 33, 5, 120))).toBe('2026-11-24T21:03:05.120+05:30');
  });

  it('rolls over to the next IST day at 18:30 UTC', () => {
    expect(formatIst(Date.UTC(2025, 11, 31, 18, 29, 59, 999))).toBe(
      '2025-12-31T23:59:59.999+05:30',
    );
    expect(formatIst(Date.UTC(2025, 11, 31, 18, 30, 0, 0))).toBe('2026-01-01T00:00:00.000+05:30');
  });

  it('handles leap days and the epoch', () => {
    expect(formatIst(Date.UTC(2028, 1, 29, 0, 0, 0, 7))).toBe('2028-02-29T05:30:00.007+05:30');
    expect(formatIst(Date.UTC(2100, 1, 28, 20, 0, 0, 0))).toBe('2100-03-01T01:30:00.000+05:30');
    expect(formatIst(0)).toBe('1970-01-01T05:30:00.000+05:30');
    expect(formatIst(-1)).toBe('1970-01-01T05:29:59.999+05:30');
  });

  it('drops fractions of a millisecond rather than rounding up', () => {
    expect(formatIst(Date.UTC(2026, 0, 1, 0, 0, 0, 1) + 0.9)).toBe('2026-01-01T05:30:00.001+05:30');
  });

  it('agrees with Date for random instants across four centuries', () => {
    const rng = new Prng(1);
    for (let i = 0; i < 20_000; i++) {
      const ms = Math.floor((rng.float() - 0.25) * 1.6e13);
      const expected = new Date(ms + 19_800_000).toISOString().replace('Z', '+05:30');
      expect(formatIst(ms)).toBe(expected);
    }
  });

  it('round-trips through parseEventTs', () => {
    const rng = new Prng(2);
    for (let i = 0; i < 5_000; i++) {
      const ms = Math.floor(rng.float() * 4e12);
      expect(parseEventTs(formatIst(ms))).toBe(ms);
    }
  });

  it('refuses values it cannot write with a four-digit year', () => {
    expect(() => formatIst(Number.NaN)).toThrow(RangeError);
    expect(() => formatIst(Date.UTC(10000, 0, 1))).toThrow(RangeError);
  });
});

describe('parseEventTs', () => {
  it('reads the offset, Z and other zones as the same instant', () => {
    const ms = Date.UTC(2026, 10, 24, 15, 33, 5, 120);
    expect(parseEventTs('2026-11-24T21:03:05.120+05:30')).toBe(ms);
    expect(parseEventTs('2026-11-24T15:33:05.120Z')).toBe(ms);
    expect(parseEventTs('2026-11-24T10:33:05.120-05:00')).toBe(ms);
  });

  it('accepts missing or longer fractions, truncating to milliseconds', () => {
    expect(parseEventTs('2026-11-24T21:03:05+05:30')).toBe(Date.UTC(2026, 10, 24, 15, 33, 5));
    expect(parseEventTs('2026-11-24T21:03:05.1+05:30')).toBe(
      Date.UTC(2026, 10, 24, 15, 33, 5, 100),
    );
    expect(parseEventTs('2026-11-24T21:03:05.123999+05:30')).toBe(
      Date.UTC(2026, 10, 24, 15, 33, 5, 123),
    );
  });

  it('rejects timestamps without an offset (they would depend on the host zone)', () => {
    expect(parseEventTs('2026-11-24T21:03:05.120')).toBeNull();
  });

  it('rejects impossible dates and garbage', () => {
    expect(parseEventTs('2026-02-29T00:00:00.000Z')).toBeNull();
    expect(parseEventTs('2026-13-01T00:00:00.000Z')).toBeNull();
    expect(parseEventTs('2026-11-24T24:00:00.000Z')).toBeNull();
    expect(parseEventTs('yesterday')).toBeNull();
    expect(parseEventTs('2028-02-29T00:00:00.000Z')).toBe(Date.UTC(2028, 1, 29));
  });
});

describe('formatUtc', () => {
  it('writes ISO UTC with milliseconds', () => {
    expect(formatUtc(Date.UTC(2026, 10, 24, 15, 33, 5, 120))).toBe('2026-11-24T15:33:05.120Z');
  });
});
