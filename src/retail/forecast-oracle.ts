// The forecast oracle: gold.demand_forecast computed plainly from the accepted events, sharing no
// code with project/models/gold/demand_forecast.sql (docs/store-health-and-forecast.md).
// The demand tables are the TypeScript ones the seeds are generated from (calendar.ts,
// demand.ts); the SQL reads the seeds. Arithmetic is in doubles in the same order as the SQL;
// only sums run in a different order, which is why verify allows 0.01 on the decimal columns.

import { calendarRows } from './calendar.js';
import { thresholdFor } from './catalog.js';
import { CALENDAR_FROM, CALENDAR_TO } from './demand-seeds.js';
import { HOUR_SHAPE, WEEKDAY_SHAPE } from './demand.js';
import { formatUtc } from './ist-time.js';
import { computeInventory, inventoryKey, type AcceptedEvent, type InventoryRow } from './oracle.js';
import {
  chainClock,
  DAY_MS,
  HOUR_MS,
  IST_OFFSET_MS,
  productCategories,
  silverPos,
} from './silver-events.js';

export type StockoutRisk = 'UNKNOWN' | 'OUT' | 'HIGH' | 'MEDIUM' | 'LOW';

export interface ForecastRow {
  store_id: string;
  sku: string;
  /** The product master's category, `unknown` when the master does not know the SKU. */
  category: string;
  /** The IST day after the chain watermark's IST date, `YYYY-MM-DD`. */
  forecast_date: string;
  /** The calendar's event on the forecast day (diwali, eoss, salary_days, …), or null. */
  event: string | null;
  /** The trailing window [window_start, window_end] (window_end = the chain watermark), ISO UTC. */
  window_start: string;
  window_end: string;
  /** Σ sale qty − Σ void qty of the pair's POS lines in the window (returns add no demand). */
  units_in_window: number;
  forecast_units: number;
  available_qty: number | null;
  low_stock_threshold: number;
  days_of_cover: number | null;
  stockout_risk: StockoutRisk;
  suggested_replenishment_qty: number | null;
}

export interface ForecastOptions {
  /** gold.inventory_realtime as the inventory oracle computes it; computed from the events when absent. */
  inventory?: Map<string, InventoryRow>;
  /** Days until a replenishment order arrives. Default 2 (the project var lead_time_days). */
  leadTimeDays?: number;
  /** Extra days of stock to hold. Default 1 (the project var safety_days). */
  safetyDays?: number;
}

/** The trailing window: 7 × 24 hours up to the watermark (less when the chain's history is shorter). */
const WINDOW_MS = 7 * 24 * HOUR_MS;

/** Rounds half up to hundredths, as the model does: floor(x × 100 + 0.5) / 100. */
const cents = (x: number) => Math.floor(x * 100 + 0.5) / 100;

interface DayLifts {
  volume: number;
  event: string;
  category: Map<string, number>;
}

/** The calendar as the seed holds it: dates that differ from a plain day, by category. */
function calendar(): Map<string, DayLifts> {
  const out = new Map<string, DayLifts>();
  for (const r of calendarRows(CALENDAR_FROM, CALENDAR_TO)) {
    let day = out.get(r.date_ist);
    if (!day)
      out.set(r.date_ist, (day = { volume: r.volume_lift, event: r.event, category: new Map() }));
    day.category.set(r.category, r.category_lift);
  }
  return out;
}

const dateOf = (dayNumber: number) => new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
const dowOf = (dayNumber: number) => new Date(dayNumber * DAY_MS).getUTCDay();

/**
 * Tomorrow's demand per (store, SKU) that ever sold, from the last week's sales scaled by how
 * busy each of its hours should have been, with stock cover, stockout risk and a replenishment
 * suggestion.
 *
 * @example
 * computeDemandForecast(events).get('S0001|SKU00042'); // { forecast_units: 6.4, stockout_risk: 'HIGH', … }
 */
export function computeDemandForecast(
  events: AcceptedEvent[],
  opts: ForecastOptions = {},
): Map<string, ForecastRow> {
  const out = new Map<string, ForecastRow>();
  const pos = silverPos(events);
  const clock = chainClock(pos);
  if (clock === null) return out;
  const inventory = opts.inventory ?? computeInventory(events);
  const cover = (opts.leadTimeDays ?? 2) + (opts.safetyDays ?? 1);
  const categories = productCategories(events);
  const days = calendar();

  const w = clock.watermark;
  const s = Math.max(w - WINDOW_MS, clock.first);
  const wLocal = w + IST_OFFSET_MS;
  const sLocal = s + IST_OFFSET_MS;

  // Each IST hour the window touches, with the share of it the window covers (the hour holding
  // the watermark counts by the fraction elapsed).
  const slots: { hour: number; day: number; fraction: number }[] = [];
  for (let slot = Math.floor(sLocal / HOUR_MS) * HOUR_MS; slot <= wLocal; slot += HOUR_MS) {
    const fraction = (Math.min(wLocal, slot + HOUR_MS) - Math.max(sLocal, slot)) / HOUR_MS;
    slots.push({ hour: (slot / HOUR_MS) % 24, day: Math.floor(slot / DAY_MS), fraction });
  }
  const forecastDay = Math.floor(wLocal / DAY_MS) + 1;
  const forecastDate = dateOf(forecastDay);

  /** HOUR_SHAPE × WEEKDAY_SHAPE × volume lift × category lift, in the model's order. */
  const weight = (hour: number, day: number, category: string) => {
    const lift = days.get(dateOf(day));
    return (
      (HOUR_SHAPE[hour] as number) *
      (WEEKDAY_SHAPE[dowOf(day)] as number) *
      (lift?.volume ?? 1) *
      (lift?.category.get(category) ?? 1)
    );
  };
  const weights = new Map<string, { window: number; day: number }>();
  const weightsOf = (category: string) => {
    let wt = weights.get(category);
    if (!wt) {
      let window = 0;
      for (const sl of slots) window += weight(sl.hour, sl.day, category) * sl.fraction;
      let day = 0;
      for (let h = 0; h < 24; h++) day += weight(h, forecastDay, category);
      weights.set(category, (wt = { window, day }));
    }
    return wt;
  };

  // Demand: sale lines add, void lines take back (a cancelled sale was no demand), returns are
  // not demand. Only pairs that ever sold get a row.
  const units = new Map<string, { store: string; sku: string; units: number }>();
  const sold = new Set<string>();
  for (const p of pos) {
    if (p.kind === 'return') continue;
    const inWindow = p.ms >= s && p.ms <= w;
    for (const l of p.lines) {
      const key = inventoryKey(p.storeId, l.sku);
      if (p.kind === 'sale') sold.add(key);
      let u = units.get(key);
      if (!u) units.set(key, (u = { store: p.storeId, sku: l.sku, units: 0 }));
      if (inWindow) u.units += p.kind === 'sale' ? l.qty : -l.qty;
    }
  }

  const event = days.get(forecastDate)?.event ?? null;
  for (const key of sold) {
    const u = units.get(key)!;
    const category = categories.get(u.sku) ?? 'unknown';
    const wt = weightsOf(category);
    // base = units / window weight; forecast = base × the forecast day's weight.
    const forecast = wt.window > 0 ? cents((Math.max(u.units, 0) / wt.window) * wt.day) : 0;
    const available = inventory.get(key)?.available_qty ?? null;
    const threshold = thresholdFor(categories.get(u.sku));
    const days_of_cover = available === null || forecast === 0 ? null : cents(available / forecast);
    const risk: StockoutRisk =
      available === null
        ? 'UNKNOWN'
        : available <= 0
          ? 'OUT'
          : days_of_cover !== null && days_of_cover < 1
            ? 'HIGH'
            : days_of_cover !== null && days_of_cover < 3
              ? 'MEDIUM'
              : 'LOW';
    out.set(key, {
      store_id: u.store,
      sku: u.sku,
      category,
      forecast_date: forecastDate,
      event,
      window_start: formatUtc(s),
      window_end: formatUtc(w),
      units_in_window: u.units,
      forecast_units: forecast,
      available_qty: available,
      low_stock_threshold: threshold,
      days_of_cover,
      stockout_risk: risk,
      suggested_replenishment_qty:
        available === null
          ? null
          : Math.max(0, Math.ceil(forecast * cover) + threshold - available),
    });
  }
  return out;
}
