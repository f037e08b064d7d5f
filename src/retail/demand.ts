// When the chain sells: bills per store per day, the shape of a trading day (IST hour), the
// shape of a week, and the calendar's lift. The simulator's replay mode draws event times and
// stores from this; the forecast mart uses the same hour and weekday shapes (seeded from
// HOUR_SHAPE and WEEKDAY_SHAPE) so that a forecast and the chain agree on what "normal" is.

import { dayLift, type DayLift } from './calendar.js';
import {
  FORMAT_SHARE,
  FORMAT_VOLUME,
  type Region,
  type Store,
  type StoreFormat,
} from './stores.js';

/**
 * Bills a store of average volume rings up on a normal weekday (assumed: RETAIL.md's ₹5 lakh a
 * day at roughly ₹800 a bill).
 */
export const AVERAGE_BILLS_PER_DAY = 600;

/** Mean FORMAT_VOLUME over the format split: 8×5% + 2×35% + 0.5×60% = 1.4. */
const MEAN_VOLUME = (Object.keys(FORMAT_SHARE) as StoreFormat[]).reduce(
  (sum, f) => sum + FORMAT_SHARE[f] * FORMAT_VOLUME[f],
  0,
);

/** Bills a store of this format sells on a normal weekday. */
export function billsPerDay(format: StoreFormat): number {
  return (AVERAGE_BILLS_PER_DAY * FORMAT_VOLUME[format]) / MEAN_VOLUME;
}

/**
 * Relative bills per IST hour for a store open that hour (assumed, from RETAIL.md: trading peaks
 * 18:00–21:00). Index = hour of day.
 */
export const HOUR_SHAPE: readonly number[] = [
  0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.2, 0.3, 0.4, 0.55, 0.7, 0.85, 0.95, 0.9, 0.8, 0.8, 0.9, 1.1,
  1.4, 1.6, 1.5, 1.1, 0.6, 0.3,
];

/** Relative volume by day of week, Sunday first (assumed: weekends busiest, Tuesday quietest). */
export const WEEKDAY_SHAPE: readonly number[] = [1.3, 0.88, 0.86, 0.88, 0.92, 1.0, 1.22];

/** Minutes since midnight of an `HH:MM` time. */
function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/** How much of IST hour `hour` a store is open, 0..1. */
function openShare(store: Store, hour: number): number {
  const from = Math.max(minutes(store.opens), hour * 60);
  const to = Math.min(minutes(store.closes), hour * 60 + 60);
  return Math.max(0, to - from) / 60;
}

/** A store's day shape: its share of a day's bills in each hour (sums to 1 over its hours). */
export function storeDayShape(store: Store): Float64Array {
  const shape = new Float64Array(24);
  let total = 0;
  for (let h = 0; h < 24; h++) {
    shape[h] = (HOUR_SHAPE[h] as number) * openShare(store, h);
    total += shape[h] as number;
  }
  if (total > 0) for (let h = 0; h < 24; h++) shape[h] = (shape[h] as number) / total;
  return shape;
}

/** Day lifts are asked for per store and hour; a day has one per region, so keep them. */
export class LiftCache {
  private date = '';
  private readonly byRegion = new Map<Region | '', DayLift>();

  get(date: string, region?: Region): DayLift {
    if (date !== this.date) {
      this.date = date;
      this.byRegion.clear();
    }
    const key = region ?? '';
    let lift = this.byRegion.get(key);
    if (!lift) {
      lift = dayLift(date, region);
      this.byRegion.set(key, lift);
    }
    return lift;
  }
}
