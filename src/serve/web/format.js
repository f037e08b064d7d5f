// Numbers, money, durations and instants as the people running Indian stores read them.
//
// Pure text in, text out (the only outside input is the server clock, for "today"). Every
// formatter answers "—" for a missing value, so a half-filled row never shows "NaN".

import { serverNow } from './clock.js';

export const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
export const toNum = (v) => (v === null || v === undefined || v === '' ? null : Number(v));

/** "1234567" → "12,34,567": the last three digits, then groups of two (Indian numbering). */
function groupIndian(digits) {
  if (digits.length <= 3) return digits;
  let rest = digits.slice(0, -3);
  const groups = [];
  while (rest.length > 2) {
    groups.unshift(rest.slice(-2));
    rest = rest.slice(0, -2);
  }
  if (rest) groups.unshift(rest);
  return `${groups.join(',')},${digits.slice(-3)}`;
}

/** An integer with Indian digit grouping and a real minus sign; "—" when there is none. */
export function formatInt(value) {
  const n = toNum(value);
  if (n === null || !Number.isFinite(n)) return '—';
  const r = Math.round(n);
  return `${r < 0 ? '−' : ''}${groupIndian(String(Math.abs(r)))}`;
}

/** Paise → whole rupees the Indian way: 123456789 → "₹12,34,568". */
export function formatRupees(paise) {
  const n = toNum(paise);
  if (n === null || !Number.isFinite(n)) return '—';
  const rupees = Math.round(n / 100);
  return `${rupees < 0 ? '−' : ''}₹${groupIndian(String(Math.abs(rupees)))}`;
}

/** A movement with its sign: "+12", "−3", "0". */
export function formatSigned(value) {
  const n = toNum(value);
  if (n === null || !Number.isFinite(n)) return '—';
  return n > 0 ? `+${formatInt(n)}` : formatInt(n);
}

/** A duration for people: "8 s", "5 min", "2 h 10 min", "3 d". */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) {
    const m = Math.floor((s % 3600) / 60);
    return `${Math.floor(s / 3600)} h${m ? ` ${m} min` : ''}`;
  }
  return `${Math.floor(s / 86400)} d`;
}

export const ago = (seconds) => (seconds === null ? '—' : `${formatDuration(seconds)} ago`);

const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
const IST_OFFSET_MS = 330 * 60_000;
const pad2 = (n) => String(n).padStart(2, '0');

/** An instant as the stores read a clock: IST, "21:03:05" today, "23 Nov 21:03" before. */
export function formatIst(iso) {
  const t = typeof iso === 'string' ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t)) return '—';
  const d = new Date(t + IST_OFFSET_MS);
  const today = new Date(serverNow() + IST_OFFSET_MS);
  const time = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  const sameDay =
    d.getUTCFullYear() === today.getUTCFullYear() &&
    d.getUTCMonth() === today.getUTCMonth() &&
    d.getUTCDate() === today.getUTCDate();
  if (sameDay) return `${time}:${pad2(d.getUTCSeconds())}`;
  const year = d.getUTCFullYear() === today.getUTCFullYear() ? '' : ` ${d.getUTCFullYear()}`;
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}${year} ${time}`;
}

/** The whole instant for a tooltip: "2024-11-23 21:03:05 IST"; empty when there is none. */
export const fullIst = (iso) => {
  const t = typeof iso === 'string' ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t)) return '';
  return `${new Date(t + IST_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ')} IST`;
};

/** The first line of an error, cut to a readable length (the whole text goes in a tooltip). */
export function firstLine(text, max = 220) {
  if (text === null || text === undefined || text === '') return '';
  const line = String(text).split('\n')[0].trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
