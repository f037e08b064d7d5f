import { describe, expect, it } from 'vitest';
import { computeDemandForecast } from './forecast-oracle.js';
import type { AcceptedEvent } from './oracle.js';

// HOUR_SHAPE (demand.ts) sums to 15.35 over a day; 10:00 weighs 0.7, 11:00 0.85.
// WEEKDAY_SHAPE, Sunday first: Tue 0.86, Wed 0.88, Sat 1.22, Sun 1.3.

let seq = 0;
const ev = (topic: string, value: Record<string, unknown>): AcceptedEvent => ({
  topic,
  acceptedAt: 0,
  value: { event_id: `f${++seq}`, ...value },
});
const product = (sku: string, category: string) =>
  ev('erp.products', { event_ts: '2025-01-01T00:00:00.000+05:30', sku, category });
const pos = (store: string, ts: string, kind: string, sku: string, qty: number) =>
  ev('pos.transactions', {
    event_ts: ts,
    store_id: store,
    bill_id: `B${seq}`,
    kind,
    lines: [{ line_no: 1, sku, qty, unit_price_paise: 100 }],
  });
const count = (store: string, ts: string, sku: string, qty: number) =>
  ev('inventory.counts', { event_ts: ts, store_id: store, lines: [{ sku, counted_qty: qty }] });

describe('the forecast oracle, on a plain Tuesday', () => {
  // Tuesday 2026-03-10 is a plain day (no festival near, not a salary day), and so is Wednesday
  // 2026-03-11, the forecast day. The chain's first POS event is at 10:00:00.000 and its last
  // (the watermark) at 12:00:00.000 IST, so the window is those two hours:
  //   window weight = 0.86 × 0.7 × 1 (10:00, whole) + 0.86 × 0.85 × 1 (11:00, whole)
  //                 + 0.86 × 0.95 × 0 (12:00, nothing elapsed) = 1.333
  //   forecast-day weight = 0.88 × 15.35 = 13.508
  // so a SKU that sold u units in the window is forecast u × 13.508 / 1.333 = u × 10.13353….
  const d = (hhmm: string) => `2026-03-10T${hhmm}:00.000+05:30`;
  const events = [
    product('SKU-A', 'staples'), // threshold 20
    product('SKU-C', 'electronics'), // threshold 2
    product('SKU-D', 'packaged_food'), // threshold 12
    product('SKU-E', 'packaged_food'),
    // SKU-A at S0001: sales of 3 and 2, a void of 1 of them, a return of 5 (not demand):
    // units = 3 + 2 − 1 = 4 → 4 × 10.13353 = 40.534… → 40.53.
    pos('S0001', d('10:00'), 'sale', 'SKU-A', 3),
    pos('S0001', d('11:15'), 'sale', 'SKU-A', 2),
    pos('S0001', d('11:20'), 'void', 'SKU-A', 1),
    pos('S0001', d('11:30'), 'return', 'SKU-A', 5),
    // Counted 8 after all of it: available 8, cover 8 / 40.53 = 0.197… → 0.2 days: HIGH.
    // Replenishment: ceil(40.53 × (2 + 1)) = ceil(121.59) = 122, + 20 − 8 = 134.
    count('S0001', d('11:45'), 'SKU-A', 8),
    // SKU-C: counted 2, then both sold: available 0 → OUT. 2 × 10.13353 = 20.27;
    // replenishment ceil(60.81) = 61 + 2 − 0 = 63.
    count('S0001', d('10:30'), 'SKU-C', 2),
    pos('S0001', d('11:00'), 'sale', 'SKU-C', 2),
    // SKU-D: 100 counted, 1 sold: available 99, forecast 10.13, cover 9.77: LOW, and nothing to
    // order (ceil(30.39) = 31 + 12 − 99 < 0 → 0).
    count('S0001', d('09:00'), 'SKU-D', 100),
    pos('S0001', d('11:00'), 'sale', 'SKU-D', 1),
    // SKU-E: 20 counted, 1 sold: available 19, cover 19 / 10.13 = 1.875… → 1.88: MEDIUM;
    // ceil(30.39) = 31 + 12 − 19 = 24.
    count('S0001', d('09:00'), 'SKU-E', 20),
    pos('S0001', d('11:00'), 'sale', 'SKU-E', 1),
    // SKU-B (unknown to the product master) at S0002 sells the watermark's bill and was never
    // counted: UNKNOWN, with no cover and no suggestion; its category is 'unknown' (lift 1).
    pos('S0002', d('12:00'), 'sale', 'SKU-B', 1),
    // SKU-F was only ever returned: no sale, no row.
    pos('S0002', d('11:00'), 'return', 'SKU-F', 1),
  ];
  const rows = computeDemandForecast(events);

  it('forecasts a week-shaped rate and sizes the replenishment', () => {
    expect(rows.get('S0001|SKU-A')).toEqual({
      store_id: 'S0001',
      sku: 'SKU-A',
      category: 'staples',
      forecast_date: '2026-03-11',
      event: null,
      window_start: '2026-03-10T04:30:00.000Z',
      window_end: '2026-03-10T06:30:00.000Z',
      units_in_window: 4,
      forecast_units: 40.53,
      available_qty: 8,
      low_stock_threshold: 20,
      days_of_cover: 0.2,
      stockout_risk: 'HIGH',
      suggested_replenishment_qty: 134,
    });
  });

  it('grades stockout risk: OUT, LOW, MEDIUM, and UNKNOWN for a SKU never counted', () => {
    expect(rows.get('S0001|SKU-C')).toMatchObject({
      forecast_units: 20.27,
      available_qty: 0,
      stockout_risk: 'OUT',
      suggested_replenishment_qty: 63,
    });
    expect(rows.get('S0001|SKU-D')).toMatchObject({
      forecast_units: 10.13,
      days_of_cover: 9.77,
      stockout_risk: 'LOW',
      suggested_replenishment_qty: 0,
    });
    expect(rows.get('S0001|SKU-E')).toMatchObject({
      days_of_cover: 1.88,
      stockout_risk: 'MEDIUM',
      suggested_replenishment_qty: 24,
    });
    expect(rows.get('S0002|SKU-B')).toMatchObject({
      category: 'unknown',
      forecast_units: 10.13,
      available_qty: null,
      days_of_cover: null,
      stockout_risk: 'UNKNOWN',
      suggested_replenishment_qty: null,
    });
    expect(rows.has('S0002|SKU-F')).toBe(false);
    expect(rows.size).toBe(5);
  });

  it('takes lead time and safety days as options', () => {
    const longer = computeDemandForecast(events, { leadTimeDays: 4, safetyDays: 2 });
    // ceil(40.53 × 6) = ceil(243.18) = 244, + 20 − 8 = 256.
    expect(longer.get('S0001|SKU-A')!.suggested_replenishment_qty).toBe(256);
  });
});

describe('the forecast oracle around a festival', () => {
  // The same two hours of sales on a Saturday, with Sunday as the forecast day: once in plain
  // June, once the day before Diwali (2026-11-08). Each SKU sells 4 units, 10:00–12:00.
  //   June 13 → 14: 4 × (1.3 × 15.35) / (1.22 × (0.7 + 0.85)) = 79.82 / 1.891 = 42.21.
  // Diwali's eve already carries the build-up (the calendar, rounded to 4 decimals as in the
  // seed): volume 3.6133, festive goods × 8.84; Diwali itself: volume 4, festive × 10. So
  //   festive: 4 × (1.3 × 15.35 × 4 × 10) / (1.891 × 3.6133 × 8.84) = 3192.8 / 60.4015… = 52.86,
  //   staples (volume only): 4 × (1.3 × 15.35 × 4) / (1.891 × 3.6133) = 319.28 / 6.8327… = 46.73:
  // larger than June's 42.21 by the lift of the forecast day over the window's,
  // 40 / 31.9416 = 1.2523 for festive goods and 4 / 3.6133 = 1.1070 for staples.
  const chain = (date: string) => {
    const t = (hhmm: string) => `${date}T${hhmm}:00.000+05:30`;
    return [
      product('SKU-F', 'festive'),
      product('SKU-S', 'staples'),
      pos('S0001', t('10:00'), 'sale', 'SKU-F', 4),
      pos('S0001', t('10:00'), 'sale', 'SKU-S', 4),
      // The watermark, at another store.
      pos('S0002', t('12:00'), 'sale', 'SKU-X', 1),
    ];
  };
  const june = computeDemandForecast(chain('2026-06-13'));
  const diwali = computeDemandForecast(chain('2026-11-07'));

  it('forecasts the festival day higher by the calendar lift', () => {
    expect(june.get('S0001|SKU-F')).toMatchObject({
      forecast_date: '2026-06-14',
      event: null,
      forecast_units: 42.21,
    });
    expect(june.get('S0001|SKU-S')!.forecast_units).toBe(42.21);
    expect(diwali.get('S0001|SKU-F')).toMatchObject({
      forecast_date: '2026-11-08',
      event: 'diwali',
      forecast_units: 52.86,
    });
    expect(diwali.get('S0001|SKU-S')!.forecast_units).toBe(46.73);
  });
});

describe('the forecast window', () => {
  it('is the last 7 × 24 hours when the chain has a longer history', () => {
    const events = [
      // Nine days before the watermark: outside the window, but the pair did sell, so it keeps
      // a row, with no units in the window and a forecast of 0 (no cover to compute: LOW).
      pos('S0001', '2026-03-01T12:00:00.000+05:30', 'sale', 'SKU-A', 7),
      count('S0001', '2026-03-01T13:00:00.000+05:30', 'SKU-A', 5),
      // Exactly 168 hours before the watermark: inside (the window is closed at both ends).
      pos('S0001', '2026-03-03T12:00:00.000+05:30', 'sale', 'SKU-B', 2),
      pos('S0001', '2026-03-10T12:00:00.000+05:30', 'sale', 'SKU-B', 1),
    ];
    const rows = computeDemandForecast(events);
    expect(rows.get('S0001|SKU-A')).toMatchObject({
      window_start: '2026-03-03T06:30:00.000Z',
      window_end: '2026-03-10T06:30:00.000Z',
      units_in_window: 0,
      forecast_units: 0,
      available_qty: 5,
      days_of_cover: null,
      stockout_risk: 'LOW',
    });
    expect(rows.get('S0001|SKU-B')!.units_in_window).toBe(3);
    expect(rows.get('S0001|SKU-B')!.forecast_units).toBeGreaterThan(0);
  });

  it('has no rows before the first sale', () => {
    expect(computeDemandForecast([product('SKU-A', 'staples')]).size).toBe(0);
  });
});
