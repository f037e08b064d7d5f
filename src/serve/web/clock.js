// The server's clock, as the page keeps it.
//
// Every "12 s ago" on the page is measured against the server's time, not this machine's: a
// laptop clock may be minutes off, and freshness is the number a store manager acts on. The
// difference is learnt from each health report (`time`) and stream message (`at`).

/** Server clock minus ours, in milliseconds. */
let skewMs = 0;

/** Now by the server's clock, in milliseconds since the epoch. */
export const serverNow = () => Date.now() + skewMs;

/** Learns the skew from a timestamp the server just sent; anything unparsable is ignored. */
export function noteServerTime(iso) {
  const t = Date.parse(iso);
  if (Number.isFinite(t)) skewMs = t - Date.now();
}

/** Seconds from an ISO instant to now (server clock), never negative; null when there is none. */
export const secondsSince = (iso) => {
  const t = typeof iso === 'string' ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? Math.max(0, (serverNow() - t) / 1000) : null;
};
