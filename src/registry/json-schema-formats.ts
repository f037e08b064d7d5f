// The common JSON Schema `format`s, checked as ajv-formats would in "full" mode, without
// taking that dependency. Formats not listed here are accepted and not checked (annotations,
// as the JSON Schema spec allows), so schemas written for other tools still register.

import { isIPv4, isIPv6 } from 'node:net';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2})(\.\d+)?(z|[+-]\d{2}:\d{2})$/i;
const UUID = /^(?:urn:uuid:)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// The WHATWG-style pragmatic address check (as ajv-formats), not the full RFC 5322 grammar.
const EMAIL =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

function isDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}

/** RFC 3339 time with a required offset; second 60 allowed for leap seconds. */
function isTime(s: string): boolean {
  const m = TIME.exec(s);
  if (!m) return false;
  const [h, min, sec] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const zone = m[5]!;
  if (zone.length > 1) {
    const [zh, zm] = zone.slice(1).split(':').map(Number);
    if (zh! > 23 || zm! > 59) return false;
  }
  return h <= 23 && min <= 59 && sec <= 60;
}

function isDateTime(s: string): boolean {
  const i = s.search(/[tT ]/);
  return i === 10 && isDate(s.slice(0, i)) && isTime(s.slice(i + 1));
}

function isUri(s: string): boolean {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(s)) return false;
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

export const FORMATS: Record<string, (s: string) => boolean> = {
  date: isDate,
  time: isTime,
  'date-time': isDateTime,
  uuid: (s) => UUID.test(s),
  email: (s) => EMAIL.test(s),
  uri: isUri,
  ipv4: (s) => isIPv4(s),
  ipv6: (s) => isIPv6(s),
};
