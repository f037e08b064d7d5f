// The store-health oracle: gold.store_health computed plainly from the accepted events, sharing
// no code with project/models/gold/store_health.sql (docs/store-health-and-forecast.md).
//
// Silence is judged against the chain's own clock (the latest POS event time in the whole chain),
// never the wall clock, so a replayed day gives the same answer as it did live.

import { formatUtc } from './ist-time.js';
import type { AcceptedEvent } from './oracle.js';
import {
  chainClock,
  DAY_MS,
  IST_OFFSET_MS,
  silverPos,
  silverStoreEvents,
  storeMaster,
  type StoreMaster,
} from './silver-events.js';

/** The store master's columns (opening hours IST `HH:MM`), then the store's health. */
export interface StoreHealthRow extends StoreMaster {
  /** Latest POS event time of the store (any kind), ISO UTC; null if it never rang a bill. */
  last_pos_at: string | null;
  /** Latest event time of any of its POS, count, reservation or shipment events. */
  last_event_at: string | null;
  /** Latest time the log accepted one of those events. */
  last_accepted_at: string | null;
  /** Distinct bill ids of its POS events (sales, returns and voids alike). */
  pos_bills: number;
  /** Latest POS event time in the whole chain. */
  chain_watermark: string | null;
  /** chain_watermark − last_pos_at in minutes, rounded half up to 2 decimals. */
  pos_gap_minutes: number | null;
  /** Whether the store's opening hours contain the watermark's IST time of day. */
  open_at_watermark: boolean;
  /**
   * Minutes of its opening hours between its last bill (or the chain's first, if it never rang
   * one) and the watermark, rounded half up to 2 decimals.
   */
  silent_open_minutes: number;
  /** Open for more than silentAfterMinutes without a bill. */
  is_silent: boolean;
  silent_after_minutes: number;
}

export interface StoreHealthOptions {
  /** Minutes without a POS event after which an open store is silent. Default 60 (the project var silent_pos_minutes). */
  silentAfterMinutes?: number;
}

/** Minutes since midnight of `HH:MM`, or NaN (then the store is never open). */
function minutes(hhmm: string | null): number {
  if (hhmm === null) return NaN;
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/**
 * Every store of the master with its last activity and whether its tills have gone quiet.
 *
 * @example
 * computeStoreHealth(events).get('S0001'); // { is_silent: true, pos_gap_minutes: 75.5, … }
 */
export function computeStoreHealth(
  events: AcceptedEvent[],
  opts: StoreHealthOptions = {},
): Map<string, StoreHealthRow> {
  const silentAfter = opts.silentAfterMinutes ?? 60;
  const pos = silverPos(events);
  const clock = chainClock(pos);

  const lastPos = new Map<string, number>();
  const bills = new Map<string, Set<string>>();
  const lastEvent = new Map<string, number>();
  const lastAccepted = new Map<string, number>();
  const seen = (storeId: string, ms: number, acceptedAt: number) => {
    lastEvent.set(storeId, Math.max(lastEvent.get(storeId) ?? -Infinity, ms));
    lastAccepted.set(storeId, Math.max(lastAccepted.get(storeId) ?? -Infinity, acceptedAt));
  };
  for (const p of pos) {
    lastPos.set(p.storeId, Math.max(lastPos.get(p.storeId) ?? -Infinity, p.ms));
    let set = bills.get(p.storeId);
    if (!set) bills.set(p.storeId, (set = new Set()));
    if (p.billId !== null) set.add(p.billId);
    seen(p.storeId, p.ms, p.acceptedAt);
  }
  for (const e of silverStoreEvents(events)) seen(e.storeId, e.ms, e.acceptedAt);

  // The watermark's IST minute of day (minutes are whole: 09:59:59 is still before 10:00).
  const minuteOfDay =
    clock === null ? null : Math.floor(((clock.watermark + IST_OFFSET_MS) % DAY_MS) / 60_000);

  const out = new Map<string, StoreHealthRow>();
  for (const store of storeMaster(events).values()) {
    const id = store.store_id;
    const last = lastPos.get(id) ?? null;
    const gap =
      clock === null || last === null
        ? null
        : // Whole milliseconds, rounded half up to hundredths of a minute in integers (1/100 min
          // = 600 ms), so SQL and this code get the very same double.
          Math.floor((clock.watermark - last + 300) / 600) / 100;
    const open =
      minuteOfDay !== null &&
      minuteOfDay >= minutes(store.opens) &&
      minuteOfDay < minutes(store.closes);
    const quietMs = clock === null ? 0 : openMsBetween(store, last ?? clock.first, clock.watermark);
    const at = (ms: number | undefined) => (ms === undefined ? null : formatUtc(ms));
    out.set(id, {
      ...store,
      last_pos_at: last === null ? null : formatUtc(last),
      last_event_at: at(lastEvent.get(id)),
      last_accepted_at: at(lastAccepted.get(id)),
      pos_bills: bills.get(id)?.size ?? 0,
      chain_watermark: clock === null ? null : formatUtc(clock.watermark),
      pos_gap_minutes: gap,
      open_at_watermark: open,
      silent_open_minutes: Math.floor((quietMs + 300) / 600) / 100,
      is_silent: quietMs > silentAfter * 60_000,
      silent_after_minutes: silentAfter,
    });
  }
  return out;
}

/**
 * Milliseconds of a store's opening hours within [from, to]: walks the IST days in between and
 * adds each day's overlap with [opens, closes). A store without hours is never open.
 */
function openMsBetween(
  store: { opens: string | null; closes: string | null },
  from: number,
  to: number,
): number {
  const opens = minutes(store.opens);
  const closes = minutes(store.closes);
  if (Number.isNaN(opens) || Number.isNaN(closes)) return 0;
  let total = 0;
  const lastDay = Math.floor((to + IST_OFFSET_MS) / DAY_MS);
  for (let day = Math.floor((from + IST_OFFSET_MS) / DAY_MS); day <= lastDay; day++) {
    const midnight = day * DAY_MS - IST_OFFSET_MS;
    const start = Math.max(from, midnight + opens * 60_000);
    const end = Math.min(to, midnight + closes * 60_000);
    if (end > start) total += end - start;
  }
  return total;
}
