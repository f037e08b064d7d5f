// gold.store_health and gold.demand_forecast on a simulated chain, end to end: `freshet up`
// replays a trading day on the simulator's own clock with two stores cut off part-way and a
// hostile feed (late, duplicated, malformed, skewed, shuffled events); the API flags exactly the
// cut-off stores, the forecast covers every SKU that sold, and `freshet verify` finds both marts
// equal to their oracles.
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { storeId } from '../src/retail/index.js';
import { silentStoreIds } from '../src/sources/feed-faults.js';
import {
  FRESHET_BIN,
  PlatformProcess,
  getJson,
  tempDataDir,
  waitFor,
} from './helpers/platform-process.js';

const run = promisify(execFile);
const dirs: string[] = [];

afterAll(async () => {
  for (const d of dirs) await rm(dirname(d), { recursive: true, force: true });
});

async function freshet(args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [FRESHET_BIN, ...args], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

async function sqlJson<T = Record<string, unknown>>(dataDir: string, query: string): Promise<T[]> {
  const r = await freshet(['sql', query, '--data-dir', dataDir, '--format', 'json']);
  return JSON.parse(r.stdout) as T[];
}

interface StoreView {
  store_id: string;
  last_pos_at: string | null;
  pos_gap_minutes: number | null;
  is_silent: boolean;
  open_at_watermark: boolean;
  chain_watermark: string | null;
}

interface ForecastRow {
  sku: string;
  forecast_date: string;
  stockout_risk: string;
  days_of_cover: number | null;
  suggested_replenishment_qty: number | null;
}

const STORES = 20;
const SEED = 23;
const SILENT = 2;

describe('store health and the demand forecast, end to end', () => {
  it('flags the stores whose tills went quiet, forecasts every SKU that sold, and both marts equal their oracles', async () => {
    const dataDir = await tempDataDir('freshet-retail-marts-');
    dirs.push(dataDir);
    // Tuesday 2026-03-10 from 00:00 IST, as fast as the rate allows: 8,000 events reach about
    // 17:15 IST, when every store is open; the two silent stores stop after 2,000 (before 10:30).
    const args = [
      '--date',
      '2026-03-10',
      '--speed',
      'max',
      '--rate',
      '5000',
      '--stores',
      String(STORES),
      '--skus',
      '300',
      '--seed',
      String(SEED),
      '--max-events',
      '8000',
      '--silent-stores',
      String(SILENT),
      '--silent-after',
      '2000',
      '--adversity',
    ];
    const silent = [
      ...silentStoreIds(
        Array.from({ length: STORES }, (_, i) => storeId(i + 1)),
        SILENT,
        SEED,
      ),
    ].sort();
    const p = await PlatformProcess.start(dataDir, args);
    type Health = { status: string; source: { state: string } };
    await waitFor(
      'the replay to finish and gold to catch up',
      async () => {
        const h = await getJson<Health>(`${p.url}/api/health`);
        return h.source.state === 'finished' && h.status === 'ok' ? h : undefined;
      },
      120_000,
    );
    // The API: every store, the cut-off ones silent (open, and hours without a bill on the
    // chain's clock), the others not.
    const stores = await waitFor('the silent stores to be flagged', async () => {
      const s = await getJson<StoreView[]>(`${p.url}/api/stores`);
      const flagged = s.filter((x) => x.is_silent).map((x) => x.store_id);
      return flagged.join() === silent.join() ? s : undefined;
    });
    expect(stores).toHaveLength(STORES);
    for (const s of stores) {
      expect(s.chain_watermark?.slice(0, 10)).toBe('2026-03-10');
      expect(s.open_at_watermark).toBe(true);
      if (silent.includes(s.store_id)) expect(s.pos_gap_minutes).toBeGreaterThan(60);
      else expect(s.pos_gap_minutes).toBeLessThanOrEqual(60);
    }
    const one = await getJson<StoreView>(`${p.url}/api/stores/${silent[0]}`);
    expect(one).toMatchObject({ store_id: silent[0], is_silent: true });

    // A store's forecast, most urgent first: tomorrow is Wednesday 2026-03-11.
    const forecast = await getJson<ForecastRow[]>(`${p.url}/api/stores/S0001/forecast`);
    expect(forecast.length).toBeGreaterThan(10);
    const order = ['OUT', 'HIGH', 'MEDIUM', 'UNKNOWN', 'LOW'];
    const ranks = forecast.map((r) => order.indexOf(r.stockout_risk));
    expect(ranks).not.toContain(-1);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(new Set(forecast.map((r) => r.forecast_date))).toEqual(new Set(['2026-03-11']));
    expect(await getJson<ForecastRow[]>(`${p.url}/api/stores/S0001/forecast?limit=5`)).toEqual(
      forecast.slice(0, 5),
    );
    expect(await p.interrupt()).toBe(0);

    // Plausible rows: one per store, each with bills; a forecast above 0 for every pair that sold
    // in the window, and none for a pair that did not.
    const [health] = await sqlJson<{ n: number; billed: number }>(
      dataDir,
      'select count(*) as n, count(*) filter (where pos_bills > 0) as billed from gold.store_health',
    );
    expect(health).toEqual({ n: STORES, billed: STORES });
    const [fc] = await sqlJson<{ n: number; sold: number; forecast: number; risks: number }>(
      dataDir,
      `select count(*) as n,
              count(*) filter (where units_in_window > 0) as sold,
              count(*) filter (where units_in_window > 0 and forecast_units > 0) as forecast,
              count(distinct stockout_risk) as risks
       from gold.demand_forecast`,
    );
    expect(fc!.n).toBeGreaterThan(1000);
    expect(fc!.forecast).toBe(fc!.sold);
    expect(fc!.risks).toBeGreaterThanOrEqual(3);

    // Both marts equal their oracles (and so does every other mart).
    const r = await freshet(['verify', '--data-dir', dataDir, '--json']);
    const report = JSON.parse(r.stdout) as {
      eventsNotInLake: number;
      mismatches: unknown[];
      marts: { mart: string; goldRows: number; oracleRows: number; mismatches: number }[];
    };
    const marts = Object.fromEntries(report.marts.map((m) => [m.mart, m]));
    expect(marts['gold.store_health']).toMatchObject({
      goldRows: STORES,
      oracleRows: STORES,
      mismatches: 0,
    });
    expect(marts['gold.demand_forecast']).toMatchObject({ goldRows: fc!.n, mismatches: 0 });
    expect(marts['gold.demand_forecast']!.oracleRows).toBe(fc!.n);
    expect(report.eventsNotInLake).toBe(0);
    expect(report.mismatches.slice(0, 5)).toEqual([]);
    expect(r.code).toBe(0);
  });
});
