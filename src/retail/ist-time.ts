// Timestamps as the chain's source systems send them: IST wall-clock time with its offset.
// Formatted by hand rather than with Intl or Date getters: the result must not depend on the
// host's time zone or ICU data, and the simulator formats one per event, so it must be cheap.

export const IST_OFFSET_MS = 19_800_000; // +05:30; India has no daylight saving time
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** 0000-01-01T00:00:00.000+05:30 and 9999-12-31T23:59:59.999+05:30, as epoch ms. */
const MIN_MS = -62_167_219_200_000 - IST_OFFSET_MS;
const MAX_MS = 253_402_300_799_999 - IST_OFFSET_MS;

/**
 * Formats epoch milliseconds as `YYYY-MM-DDTHH:mm:ss.sss+05:30`. Fractions of a millisecond are
 * dropped (floor), so the text never claims a later instant than the clock gave.
 *
 * @example formatIst(Date.UTC(2026, 10, 24, 15, 33, 5, 120)) // '2026-11-24T21:03:05.120+05:30'
 */
export function formatIst(epochMs: number): string {
  if (!Number.isFinite(epochMs) || epochMs < MIN_MS || epochMs > MAX_MS) {
    throw new RangeError(`cannot format ${epochMs} as a four-digit-year IST timestamp`);
  }
  const local = Math.floor(epochMs) + IST_OFFSET_MS;
  const days = Math.floor(local / DAY_MS);
  let rest = local - days * DAY_MS;
  const ms = rest % 1000;
  rest = (rest - ms) / 1000;
  const sec = rest % 60;
  rest = (rest - sec) / 60;
  const min = rest % 60;
  const hour = (rest - min) / 60;

  // Civil date from days since 1970-01-01 (H. Hinnant, "chrono-compatible low-level date
  // algorithms"): exact for the proleptic Gregorian calendar, integer arithmetic only.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);

  return (
    pad(year, 4) +
    '-' +
    pad(month, 2) +
    '-' +
    pad(day, 2) +
    'T' +
    pad(hour, 2) +
    ':' +
    pad(min, 2) +
    ':' +
    pad(sec, 2) +
    '.' +
    pad(ms, 3) +
    '+05:30'
  );
}

function pad(n: number, width: number): string {
  const s = String(n);
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
}

const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an ISO-8601 timestamp that carries its offset (`Z` or `±HH:MM`) into epoch ms, or
 * returns null. Strict on purpose: `Date.parse` reads a timestamp without an offset as host-local
 * time, which would make event time depend on the machine. Digits beyond milliseconds are
 * truncated (the contract sends milliseconds).
 */
export function parseEventTs(text: string): number | null {
  const m = ISO_WITH_OFFSET.exec(text);
  if (m === null) return null;
  const [, y, mo, d, h, mi, s, frac, zone, sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  let offsetMin = 0;
  if (zone !== 'Z') {
    const oHour = Number(oh);
    const oMin = Number(om);
    if (oHour > 23 || oMin > 59) return null;
    offsetMin = (sign === '-' ? -1 : 1) * (oHour * 60 + oMin);
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear undoes that for ancient dates.
  const fixed = year < 100 ? new Date(utc).setUTCFullYear(year) : utc;
  return fixed - offsetMin * 60_000;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Epoch ms as ISO UTC `YYYY-MM-DDTHH:mm:ss.sssZ` (the oracle's and gold's time format). */
export function formatUtc(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
