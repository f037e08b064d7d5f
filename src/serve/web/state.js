// What the page knows about the chain, shared by the header and both pages.
//
// The live feed (api.js) writes the store summaries and the health poll (header.js) writes the
// health report; the pages only read. Freshness is derived here, in one place, because the
// overview, its totals and the store page must agree on which stores are stale.

import { secondsSince } from './clock.js';
import { formatDuration, isNum, toNum } from './format.js';

/** A store that has sent nothing for this long is shown as stale, its figures as not current. */
export const STALE_AFTER_SECONDS = 120;
export const STATUSES = ['OVERSOLD', 'LOW', 'OK', 'UNKNOWN'];
/** Problems first: what a manager acts on, then what nobody has counted, then the fine rows. */
export const SEVERITY = { OVERSOLD: 0, LOW: 1, UNKNOWN: 2, OK: 3 };
export const STATUS_LABEL = { OVERSOLD: 'Oversold', LOW: 'Low', OK: 'OK', UNKNOWN: 'Unknown' };

export const state = {
  /** Last store summaries from the stream (or /api/stores), by store_id, in API order. */
  stores: [],
  storesById: new Map(),
  run: null,
  storesReceivedAt: 0,
  health: null,
  /** The live feed: 'connecting', 'live', 'reconnecting' or 'polling'. */
  stream: 'connecting',
};

/** Seconds since the store last sent an accepted event, as of now (not as of the message). */
export function storeFreshness(store) {
  const fromTimestamp = secondsSince(store.last_accepted_at);
  if (fromTimestamp !== null) return fromTimestamp;
  if (!isNum(store.freshness_seconds)) return null;
  return store.freshness_seconds + (Date.now() - state.storesReceivedAt) / 1000;
}

/** A store is shown as current only when it has sent something in the last two minutes. */
export const isStale = (freshness) => freshness === null || freshness > STALE_AFTER_SECONDS;

export function freshnessText(freshness) {
  if (freshness === null) return 'no events yet';
  return isStale(freshness) ? `silent for ${formatDuration(freshness)}` : formatDuration(freshness);
}

/** How many of the store's SKUs have this status. */
export const count = (store, status) => toNum(store.status_counts?.[status]) ?? 0;

/** Why there is no store to show yet, in words (the header has the details). */
export function noStoresYet() {
  if (state.health?.status === 'degraded') {
    return 'No store data: the models have not run successfully yet (see above).';
  }
  return 'Waiting for the first model run…';
}
