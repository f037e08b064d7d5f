// gold.store_health and gold.demand_forecast, the SQL models, on a small hand-made chain whose
// answers are worked out below — the same numbers src/retail/*-oracle.test.ts derive for the
// oracles — and then against the oracles with `verify`, as on a simulated run.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/index.js';
import type { Row } from '../src/engine/index.js';
import type { LogRecord } from '../src/log/index.js';
import { Platform, verifyInventory, type VerifyReport } from '../src/pipeline/index.js';
import { apiRoutes } from '../src/serve/api.js';

let dir: string;
let dataDir: string;
let health: Map<string, Row>;
let forecast: Map<string, Row>;
let report: VerifyReport;
/** What the API answered, in-process (Hono's app.request), while the platform was open. */
const api = new Map<string, { status: number; body: unknown }>();

let seq = 0;
function record(key: string, value: Record<string, unknown>): LogRecord {
  const event = { event_id: `m-${++seq}`, ...value };
  return {
    key,
    value: Buffer.from(JSON.stringify(event)),
    headers: { 'freshet.event-id': event.event_id },
  };
}

// Saturday 2026-11-07, the eve of Diwali; the forecast day is Diwali itself.
const at = (hhmm: string, sec = '00.000') => `2026-11-07T${hhmm}:${sec}+05:30`;
const utc = (hhmm: string, sec = '00.000') => new Date(Date.parse(at(hhmm, sec))).toISOString();

const store = (id: string, opens: string, closes: string) =>
  record(id, {
    event_ts: '2026-11-01T00:00:00.000+05:30',
    store_id: id,
    name: `Bazaar ${id}`,
    city: 'Pune',
    region: 'West',
    format: 'supermarket',
    opens,
    closes,
  });
const product = (sku: string, category: string) =>
  record(sku, { event_ts: '2026-11-01T00:00:00.000+05:30', sku, category, name: sku });
const pos = (storeId: string, ts: string, kind: string, sku: string, qty: number) =>
  record(storeId, {
    event_ts: ts,
    store_id: storeId,
    bill_id: `B-${storeId}-${seq}`,
    kind,
    original_bill_id: kind === 'sale' ? null : 'B-x',
    tender: 'upi',
    lines: [{ line_no: 1, sku, qty, unit_price_paise: 1000, discount_paise: 0, gst_rate_pct: 5 }],
  });
const count = (storeId: string, ts: string, sku: string, qty: number) =>
  record(storeId, {
    event_ts: ts,
    store_id: storeId,
    count_id: `C${seq}`,
    count_type: 'cycle',
    lines: [{ sku, counted_qty: qty }],
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-retail-marts-'));
  dataDir = join(dir, 'data');
  const config = defaultConfig();
  config.dataDir = dataDir;
  config.simulator.enabled = false;
  const platform = await Platform.open(config);
  try {
    const log = platform.log;
    await log.append('erp.stores', [
      store('S0001', '09:00', '22:00'),
      store('S0002', '09:00', '22:00'),
      store('S0003', '07:00', '10:45'),
      store('S0004', '09:00', '22:00'),
      store('S0005', '09:00', '22:00'),
    ]);
    await log.append('erp.products', [product('SKU-F', 'festive'), product('SKU-S', 'staples')]);
    await log.append('pos.transactions', [
      pos('S0001', at('10:00'), 'sale', 'SKU-F', 4),
      pos('S0001', at('10:00'), 'sale', 'SKU-S', 4),
      // 2 more staples sold and voided at the till: no demand.
      pos('S0001', at('11:10'), 'sale', 'SKU-S', 2),
      pos('S0001', at('11:20'), 'void', 'SKU-S', 2),
      // A return is no demand either, but it is the store's latest POS event.
      pos('S0001', at('11:30'), 'return', 'SKU-S', 1),
      pos('S0003', at('10:00'), 'sale', 'SKU-S', 1),
      pos('S0005', at('10:29', '59.700'), 'sale', 'SKU-S', 1),
      // The chain's watermark.
      pos('S0002', at('12:00'), 'sale', 'SKU-X', 1),
    ]);
    await log.append('inventory.counts', [
      count('S0001', at('11:00'), 'SKU-F', 10),
      count('S0004', at('11:00'), 'SKU-S', 30),
    ]);
    await platform.rebuild();
    const c = platform.session.connection;
    health = new Map(
      (await c.rows('SELECT * FROM gold.store_health')).map((r) => [String(r.store_id), r]),
    );
    forecast = new Map(
      (
        await c.rows(
          "SELECT * REPLACE (strftime(forecast_date, '%Y-%m-%d') AS forecast_date) FROM gold.demand_forecast",
        )
      ).map((r) => [`${r.store_id}|${r.sku}`, r]),
    );
    const tests = await platform.models.runDataTests();
    expect(tests.problems).toEqual([]);
    const app = apiRoutes(platform, await platform.session.connect());
    for (const path of [
      '/stores',
      '/stores/S0005',
      '/stores/S0001/forecast',
      '/stores/S0001/forecast?limit=1',
      '/stores/S0001/forecast?limit=0',
      '/stores/S9999/forecast',
    ]) {
      const res = await app.request(path);
      api.set(path, { status: res.status, body: await res.json() });
    }
  } finally {
    await platform.stop();
  }
  report = await verifyInventory(dataDir);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('gold.store_health', () => {
  it('judges silence by the chain watermark (12:00:00.000 IST, S0002) and each store’s hours', () => {
    expect([...health.keys()].sort()).toEqual(['S0001', 'S0002', 'S0003', 'S0004', 'S0005']);
    // S0001: last POS the return at 11:30: 30 min ago, open: fine.
    expect(health.get('S0001')).toMatchObject({
      last_pos_at: utc('11:30'),
      last_event_at: utc('11:30'),
      pos_bills: 5,
      chain_watermark: utc('12:00'),
      pos_gap_minutes: 30,
      open_at_watermark: true,
      is_silent: false,
      silent_after_minutes: 60,
    });
    expect(health.get('S0002')).toMatchObject({ pos_gap_minutes: 0, is_silent: false });
    // S0003 closed at 10:45, 45 minutes after its last bill: two hours without one is not
    // silence when only 45 of them were opening hours.
    expect(health.get('S0003')).toMatchObject({
      pos_gap_minutes: 120,
      open_at_watermark: false,
      silent_open_minutes: 45,
      is_silent: false,
    });
    // S0004 counted stock at 11:00 but never sold: silent, no gap.
    expect(health.get('S0004')).toMatchObject({
      last_pos_at: null,
      last_event_at: utc('11:00'),
      pos_bills: 0,
      pos_gap_minutes: null,
      silent_open_minutes: 120,
      is_silent: true,
    });
    // S0005: 1 h 30 min 0.3 s = 90.005 min → 90.01, over 60: silent.
    expect(health.get('S0005')).toMatchObject({ pos_gap_minutes: 90.01, is_silent: true });
  });
});

describe('gold.demand_forecast', () => {
  // Window 10:00–12:00 on Diwali's eve (Saturday: 1.22; volume 3.6133, festive × 8.84), forecast
  // for Diwali (Sunday: 1.3; volume 4, festive × 10); HOUR_SHAPE 10:00 0.7, 11:00 0.85, day 15.35:
  //   festive: 4 × (1.3 × 15.35 × 4 × 10) / (1.22 × 1.55 × 3.6133 × 8.84) = 52.86
  //   staples: 4 × (1.3 × 15.35 × 4) / (1.22 × 1.55 × 3.6133) = 46.73 (the void cancels its sale)
  it('forecasts Diwali from the eve’s sales with the calendar’s lifts', () => {
    expect(forecast.get('S0001|SKU-F')).toMatchObject({
      category: 'festive',
      forecast_date: '2026-11-08',
      event: 'diwali',
      window_start: utc('10:00'),
      window_end: utc('12:00'),
      units_in_window: 4,
      forecast_units: 52.86,
      // counted 10 at 11:00, after the sale: 10 / 52.86 = 0.19 days: HIGH;
      // ceil(52.86 × 3) = ceil(158.58) = 159, + 10 (festive threshold) − 10 = 159.
      available_qty: 10,
      low_stock_threshold: 10,
      days_of_cover: 0.19,
      stockout_risk: 'HIGH',
      suggested_replenishment_qty: 159,
    });
    expect(forecast.get('S0001|SKU-S')).toMatchObject({
      units_in_window: 4,
      forecast_units: 46.73,
      available_qty: null,
      stockout_risk: 'UNKNOWN',
      suggested_replenishment_qty: null,
    });
    // S0004 never sold SKU-S (only counted it): no forecast row.
    expect(forecast.has('S0004|SKU-S')).toBe(false);
    expect(forecast.size).toBe(5);
  });
});

describe('the API', () => {
  it('adds the tills’ silence to every store', () => {
    const stores = api.get('/stores')!.body as Record<string, unknown>[];
    expect(stores.map((s) => [s.store_id, s.is_silent])).toEqual([
      ['S0001', false],
      ['S0002', false],
      ['S0003', false],
      ['S0004', true],
      ['S0005', true],
    ]);
    expect(api.get('/stores/S0005')!.body).toMatchObject({
      store_id: 'S0005',
      last_pos_at: utc('10:29', '59.700'),
      pos_gap_minutes: 90.01,
      is_silent: true,
      open_at_watermark: true,
      silent_after_minutes: 60,
      chain_watermark: utc('12:00'),
      // The existing contract is unchanged.
      status_counts: { OVERSOLD: 0, LOW: 0, OK: 0, UNKNOWN: 1 },
    });
  });

  it('lists a store’s forecast most urgent first, and refuses a bad limit or store', () => {
    const rows = api.get('/stores/S0001/forecast')!.body as Record<string, unknown>[];
    expect(rows.map((r) => [r.sku, r.stockout_risk])).toEqual([
      ['SKU-F', 'HIGH'],
      ['SKU-S', 'UNKNOWN'],
    ]);
    expect(rows[0]).toMatchObject({
      forecast_date: '2026-11-08',
      suggested_replenishment_qty: 159,
    });
    expect(api.get('/stores/S0001/forecast?limit=1')!.body).toHaveLength(1);
    expect(api.get('/stores/S0001/forecast?limit=0')!.status).toBe(400);
    expect(api.get('/stores/S9999/forecast')!.status).toBe(404);
  });
});

describe('verify', () => {
  it('finds both marts equal to their oracles', () => {
    const marts = report.marts.filter((m) =>
      ['gold.store_health', 'gold.demand_forecast'].includes(m.mart),
    );
    expect(marts).toEqual([
      { mart: 'gold.store_health', goldRows: 5, oracleRows: 5, mismatches: 0, byColumn: {} },
      { mart: 'gold.demand_forecast', goldRows: 5, oracleRows: 5, mismatches: 0, byColumn: {} },
    ]);
  });
});
