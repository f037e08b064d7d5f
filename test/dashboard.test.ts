// The dashboard as a store manager sees it: the compiled platform (`freshet up`) and Debian's
// Chromium, driven by playwright-core. Screenshots of each page land in the OS temp dir.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformProcess, getJson, tempDataDir } from './helpers/platform-process.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const STORES = 50;
const STATUSES = ['OVERSOLD', 'LOW', 'OK', 'UNKNOWN'];

if (!HAVE_CHROMIUM && !process.env.CI) {
  console.warn(
    `\n${'!'.repeat(78)}\n! dashboard.test.ts SKIPPED: ${CHROMIUM} is missing (apt-get install chromium).\n! CI fails instead of skipping.\n${'!'.repeat(78)}\n`,
  );
}

interface StoreSummary {
  store_id: string;
  name: string;
  region: string;
  status_counts: Record<string, number>;
  net_sales_paise: number;
  last_accepted_at: string | null;
}

interface InventoryRow {
  sku: string;
  counted_qty: number | null;
  projected_qty: number | null;
  reserved_qty: number | null;
  available_qty: number | null;
  status: string;
}

/** Waits until the page shows exactly `n` table rows whose test id starts with `prefix`. */
async function waitForRows(page: Page, prefix: string, n: number | 'some', timeout = 90_000) {
  const rows = page.locator(`tr[data-testid^="${prefix}"]`);
  if (n === 'some') await rows.first().waitFor({ timeout });
  else await expect.poll(() => rows.count(), { timeout }).toBe(n);
}

/** The few DOM members the in-page callbacks use (the project compiles without the DOM lib). */
interface El {
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): El | null;
}

/** "1,234" → 1234, "−3" → -3, "—" → null: the page's number formats read back. */
const parseShown = (text: string): number | null => {
  const t = text.trim().replace(/,/g, '').replace('−', '-');
  return t === '—' || t === '' ? null : Number(t);
};

const screenshot = async (page: Page, name: string) => {
  const path = join(tmpdir(), `freshet-dashboard-${name}.png`);
  await page.screenshot({ path });
  console.log(`screenshot: ${path}`);
};

describe.skipIf(!HAVE_CHROMIUM && !process.env.CI)('dashboard in a real browser', () => {
  let platform: (PlatformProcess & { url: string }) | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let url: string;
  let dataDir: string | undefined;
  const externalRequests: string[] = [];
  const pageErrors: string[] = [];
  /** The page's own files (index.html, style.css, every module app.js imports) that failed. */
  const failedFiles: string[] = [];

  const watch = (p: Page) => {
    p.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(url) && !u.startsWith('data:')) externalRequests.push(u);
    });
    p.on('pageerror', (e) => pageErrors.push(e.message));
    p.on('response', (r) => {
      const u = r.url();
      if (u.startsWith(url) && !u.startsWith(`${url}/api/`) && r.status() >= 400) {
        failedFiles.push(`${r.status()} ${u}`);
      }
    });
    return p;
  };

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) {
      throw new Error(
        `${CHROMIUM} is missing; CI must install Debian's chromium to test the dashboard`,
      );
    }
    dataDir = await tempDataDir('freshet-dashboard-');
    const args = ['--stores', String(STORES), '--skus', '300', '--rate', '300', '--seed', '7'];
    platform = await PlatformProcess.start(dataDir, args);
    url = platform.url;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = watch(await browser.newPage({ viewport: { width: 1400, height: 900 } }));
  });

  afterAll(async () => {
    await browser?.close();
    if (platform && platform.child.exitCode === null && platform.child.signalCode === null) {
      await platform.kill9();
    }
    if (dataDir) await rm(dirname(dataDir), { recursive: true, force: true });
  });

  it('shows every store, with chain totals and platform status, updating live', async () => {
    await page.goto(`${url}/`);
    await waitForRows(page, 'store-row-', STORES);
    await expect.poll(() => page.getByTestId('total-stores').textContent()).toBe(String(STORES));
    expect(await page.getByTestId('chain-totals').textContent()).toMatch(/₹[\d,]+/);
    await expect
      .poll(
        async () => parseShown((await page.getByTestId('events-per-second').textContent()) ?? ''),
        {
          timeout: 30_000,
        },
      )
      .toBeGreaterThan(0);
    await expect
      .poll(() => page.getByTestId('gold-freshness').textContent(), { timeout: 30_000 })
      .toMatch(/^\d/);

    // Live: the numbers move without a reload (a reload would drop this marker).
    await page.evaluate(() => Object.assign(globalThis, { __freshetNoReload: true }));
    const snapshot = async () => ({
      totals: await page.getByTestId('chain-totals').textContent(),
      store: (
        await page
          .locator('[data-testid="store-row-S0001"] td:not(.col-freshness)')
          .allTextContents()
      ).join('|'),
    });
    const before = await snapshot();
    await expect
      .poll(
        async () => {
          const now = await snapshot();
          return now.totals !== before.totals && now.store !== before.store;
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBe(true);
    expect(await page.evaluate(() => '__freshetNoReload' in globalThis)).toBe(true);

    // Sorting by a header: oversold counts, largest first.
    await page.click('th button[data-sort="OVERSOLD"]');
    const oversold = (
      await page.locator('tr[data-testid^="store-row-"] td.col-OVERSOLD').allTextContents()
    ).map((t) => Number(t.replace(/,/g, '')));
    expect(oversold).toHaveLength(STORES);
    expect(oversold).toEqual([...oversold].sort((a, b) => b - a));

    // Filtering by text and by region.
    await page.getByTestId('store-filter').fill('S0001');
    await waitForRows(page, 'store-row-', 1, 10_000);
    await page.getByTestId('store-filter').fill('');
    await waitForRows(page, 'store-row-', STORES, 10_000);
    const stores = await getJson<StoreSummary[]>(`${url}/api/stores`);
    const region = stores[0]!.region;
    await page.getByTestId('region-filter').selectOption(region);
    await waitForRows(page, 'store-row-', stores.filter((s) => s.region === region).length, 10_000);
    await page.getByTestId('region-filter').selectOption('');
    await waitForRows(page, 'store-row-', STORES, 10_000);
    await page.click('th button[data-sort="store_id"]');

    await screenshot(page, 'overview');
  });

  it('opens a store from its row and shows its SKUs as the API has them', async () => {
    await page.evaluate(() => Object.assign(globalThis, { __freshetNoReload: true }));
    await page.click('[data-testid="store-row-S0001"] a');
    await page.waitForURL(`${url}/stores/S0001`);
    await waitForRows(page, 'sku-row-', 'some', 30_000);
    const summary = await getJson<StoreSummary>(`${url}/api/stores/S0001`);
    await expect.poll(() => page.getByTestId('store-header').textContent()).toContain(summary.name);

    const shown = await page.locator('tr[data-testid^="sku-row-"]').evaluateAll((trs: El[]) =>
      trs.map((tr) => {
        const cell = (col: string) => tr.querySelector(`td[data-col="${col}"]`)?.textContent ?? '';
        return {
          sku: (tr.getAttribute('data-testid') ?? '').replace('sku-row-', ''),
          counted: cell('counted_qty'),
          projected: cell('projected_qty'),
          reserved: cell('reserved_qty'),
          available: cell('available_qty'),
          status: tr.querySelector('.badge')?.textContent ?? '',
        };
      }),
    );
    expect(shown.length).toBeGreaterThan(0);
    for (const row of shown) expect(STATUSES).toContain(row.status);

    // The page may be one model run behind the API, so it is enough that SKUs agree; most do.
    const api = new Map(
      (await getJson<InventoryRow[]>(`${url}/api/stores/S0001/inventory`)).map((r) => [r.sku, r]),
    );
    const agreeing = shown.filter((row) => {
      const r = api.get(row.sku);
      return (
        r !== undefined &&
        parseShown(row.counted) === r.counted_qty &&
        parseShown(row.projected) === r.projected_qty &&
        parseShown(row.reserved) === r.reserved_qty &&
        parseShown(row.available) === r.available_qty &&
        row.status === r.status
      );
    });
    expect(agreeing.length).toBeGreaterThan(0);

    // Filter by status: only that status remains.
    await page.click('[data-testid="status-filter"] button[data-status="OK"]');
    const statuses = await page.locator('tr[data-testid^="sku-row-"] .badge').allTextContents();
    expect(new Set(statuses)).toEqual(new Set(statuses.length ? ['OK'] : []));
    await page.click('[data-testid="status-filter"] button[data-status="ALL"]');

    // The store's day and its trucks, as the API has them (the page may be one run behind).
    type Sales = { date_ist: string | null; totals: { bills: number; units_sold: number } };
    type Ships = { incoming: { shipment_id: string }[] };
    await expect
      .poll(
        async () => {
          const sales = await getJson<Sales>(`${url}/api/stores/S0001/sales`);
          return (
            (await page.getByTestId('sales-title').textContent())?.includes(
              String(sales.date_ist),
            ) &&
            parseShown((await page.getByTestId('sales-bills').textContent()) ?? '') ===
              sales.totals.bills
          );
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    expect(await page.locator('[data-testid="sales-hours"] .hour-bar').count()).toBe(24);
    // The bars are drawn to scale: the best hour is the full 52 px (the page's CSP refuses
    // style attributes, which once left every bar 1 px high).
    const heights = await page
      .locator('[data-testid="sales-hours"] .hour-bar')
      .evaluateAll((bars) => bars.map((b) => Math.round(b.getBoundingClientRect().height)));
    expect(Math.max(...heights)).toBe(52);
    await expect
      .poll(
        async () => {
          const ships = await getJson<Ships>(`${url}/api/stores/S0001/shipments`);
          const shownIds = await page
            .locator('tr[data-testid="shipment-row"] td:first-child')
            .allTextContents();
          return shownIds.join(',') === ships.incoming.map((r) => r.shipment_id).join(',');
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    await screenshot(page, 'store');

    // Back to the chain, still without a reload.
    await page.click('a.back');
    await waitForRows(page, 'store-row-', STORES, 10_000);
    expect(await page.evaluate(() => '__freshetNoReload' in globalThis)).toBe(true);
  });

  it('shows the store’s stockout risk, most urgent first, as the API has it', async () => {
    await page.goto(`${url}/stores/S0001`);
    await page.getByTestId('stockout-risk').waitFor({ timeout: 30_000 });
    type Forecast = { sku: string; stockout_risk: string; forecast_date: string };
    // The page may be one model run behind the API: poll until both list the same SKUs.
    await expect
      .poll(
        async () => {
          const api = await getJson<Forecast[]>(`${url}/api/stores/S0001/forecast?limit=10`);
          const shown = (
            await page
              .locator('tr[data-testid^="risk-row-"]')
              .evaluateAll((trs: El[]) =>
                trs.map((tr) => (tr.getAttribute('data-testid') ?? '').replace('risk-row-', '')),
              )
          ).join(',');
          return api.length > 0 && shown === api.map((r) => r.sku).join(',');
        },
        { timeout: 30_000 },
      )
      .toBe(true);
    const api = await getJson<Forecast[]>(`${url}/api/stores/S0001/forecast?limit=10`);
    expect(await page.getByTestId('stockout-title').textContent()).toContain(api[0]!.forecast_date);
    const risks = await page.locator('tr[data-testid^="risk-row-"] .badge').allTextContents();
    expect(risks.length).toBeGreaterThan(0);
    for (const r of risks) expect(['Out', 'High', 'Medium', 'Unknown', 'Low']).toContain(r);
    await screenshot(page, 'stockout-risk');
  });

  it('shows the API message for a store that does not exist', async () => {
    const res = await fetch(`${url}/api/stores/S9999`);
    expect(res.status).toBe(404);
    const { error } = (await res.json()) as { error: string };
    await page.goto(`${url}/stores/S9999`);
    await expect
      .poll(() => page.getByTestId('store-error').textContent(), { timeout: 15_000 })
      .toBe(error);
    await screenshot(page, 'not-found');
  });

  it('marks a silent store as stale and shows source strings as text, never as HTML', async () => {
    // A controlled picture of the chain: one store current, one silent for five minutes whose
    // name is markup. Everything else (the page, health) comes from the real platform.
    const now = Date.now();
    const store = (id: string, name: string, acceptedAgoMs: number, sales: number) => ({
      store_id: id,
      name,
      city: 'Pune',
      region: 'West',
      format: 'express',
      skus: 3,
      status_counts: { OVERSOLD: 1, LOW: 1, OK: 1, UNKNOWN: 0 },
      bills: 7,
      net_sales_paise: sales,
      last_event_at: new Date(now - acceptedAgoMs).toISOString(),
      last_accepted_at: new Date(now - acceptedAgoMs).toISOString(),
      freshness_seconds: acceptedAgoMs / 1000,
    });
    const evil = '<img src=x onerror="window.__injected=1">Evil & Sons';
    const stores = [
      store('S0001', 'Fresh Mart', 1000, 123456789),
      store('S0002', evil, 300_000, 0),
    ];
    const fake = await browser!.newPage({ viewport: { width: 1400, height: 600 } });
    watch(fake);
    await fake.route('**/api/stream', (route) =>
      route.fulfill({
        status: 200,
        headers: { 'Content-Type': 'text/event-stream' },
        body: `event: stores\ndata: ${JSON.stringify({ at: new Date().toISOString(), run: 1, stores })}\n\n`,
      }),
    );
    await fake.route('**/api/stores', (route) => route.fulfill({ json: stores }));
    await fake.goto(`${url}/`);
    await waitForRows(fake, 'store-row-', 2, 15_000);

    const silent = fake.getByTestId('store-row-S0002');
    expect(await silent.getAttribute('class')).toContain('stale');
    expect(await silent.textContent()).toContain('silent for 5 min');
    expect((await fake.getByTestId('store-row-S0001').getAttribute('class')) ?? '').not.toContain(
      'stale',
    );
    expect(await silent.locator('td.col-name').textContent()).toBe(evil);
    expect(await fake.locator('[data-testid="store-table"] img').count()).toBe(0);
    expect(await fake.evaluate(() => '__injected' in globalThis)).toBe(false);
    // Indian grouping of whole rupees: 12,34,567.89 → ₹12,34,568.
    expect(await fake.getByTestId('store-row-S0001').textContent()).toContain('₹12,34,568');
    expect(await fake.getByTestId('total-sales').textContent()).toBe('₹12,34,568');
    await screenshot(fake, 'stale');
    await fake.close();
  });

  it('shows "POS silent" on the overview row and the store header, and the stockout panel', async () => {
    // A controlled picture: S0002's tills have been quiet for 75.5 min of chain time while it is
    // open, S0003 never rang a bill; S0001 is fine. Its forecast rows come from a fake API too.
    const now = Date.now();
    const store = (id: string, silent: boolean, gap: number | null) => ({
      store_id: id,
      name: `Store ${id}`,
      city: 'Pune',
      region: 'West',
      format: 'express',
      skus: 3,
      status_counts: { OVERSOLD: 0, LOW: 1, OK: 2, UNKNOWN: 0 },
      bills: 7,
      net_sales_paise: 100_000,
      last_event_at: new Date(now - 1000).toISOString(),
      last_accepted_at: new Date(now - 1000).toISOString(),
      freshness_seconds: 1,
      last_pos_at: gap === null ? null : new Date(now - gap * 60_000).toISOString(),
      pos_gap_minutes: gap,
      is_silent: silent,
      open_at_watermark: true,
      silent_after_minutes: 60,
      chain_watermark: new Date(now).toISOString(),
    });
    const stores = [
      store('S0001', false, 3),
      store('S0002', true, 75.5),
      store('S0003', true, null),
    ];
    const forecast = [
      {
        store_id: 'S0002',
        sku: 'SKU00007',
        category: 'festive',
        forecast_date: '2026-11-08',
        event: 'diwali',
        units_in_window: 4,
        forecast_units: 52.86,
        available_qty: 10,
        low_stock_threshold: 10,
        days_of_cover: 0.19,
        stockout_risk: 'HIGH',
        suggested_replenishment_qty: 159,
      },
    ];
    const fake = await browser!.newPage({ viewport: { width: 1400, height: 900 } });
    watch(fake);
    await fake.route('**/api/stream', (route) =>
      route.fulfill({
        status: 200,
        headers: { 'Content-Type': 'text/event-stream' },
        body: `event: stores\ndata: ${JSON.stringify({ at: new Date().toISOString(), run: 1, stores })}\n\n`,
      }),
    );
    await fake.route('**/api/stores', (route) => route.fulfill({ json: stores }));
    await fake.route('**/api/stores/S0002', (route) => route.fulfill({ json: stores[1] }));
    await fake.route('**/api/stores/S0002/inventory', (route) => route.fulfill({ json: [] }));
    await fake.route('**/api/stores/S0002/forecast?limit=10', (route) =>
      route.fulfill({ json: forecast }),
    );
    await fake.goto(`${url}/`);
    await waitForRows(fake, 'store-row-', 3, 15_000);
    expect(await fake.getByTestId('pos-silent-S0002').textContent()).toBe('POS silent for 75 min');
    expect(await fake.getByTestId('pos-silent-S0003').textContent()).toBe(
      'POS silent: no bill yet',
    );
    expect(await fake.getByTestId('pos-silent-S0001').isVisible()).toBe(false);
    await screenshot(fake, 'pos-silent-overview');

    await fake.click('[data-testid="store-row-S0002"] a');
    await fake.waitForURL(`${url}/stores/S0002`);
    await expect
      .poll(() => fake.getByTestId('store-pos-silent').textContent(), { timeout: 15_000 })
      .toBe('POS silent for 75 min');
    await fake.getByTestId('risk-row-SKU00007').waitFor({ timeout: 15_000 });
    expect(await fake.getByTestId('stockout-title').textContent()).toBe(
      'Stockout risk for 2026-11-08 (diwali)',
    );
    const cells = await fake.locator('[data-testid="risk-row-SKU00007"] td').allTextContents();
    expect(cells).toEqual(['SKU00007', 'festive', 'High', '10', '52.86', '0.19', '159']);
    await screenshot(fake, 'pos-silent-store');
    await fake.close();
  });

  it('loaded nothing from the network, every file of its own, and threw no script error', () => {
    expect(externalRequests).toEqual([]);
    expect(failedFiles).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('stops cleanly on Ctrl-C', async () => {
    await browser?.close();
    browser = undefined;
    expect(await platform!.interrupt()).toBe(0);
  });
});
