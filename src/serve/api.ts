import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Connection, Row } from '../engine/index.js';
import { EngineError, QueryError, quoteLiteral } from '../engine/index.js';
import type { Platform } from '../pipeline/index.js';

/** The serving tables the API reads (the retail project's gold marts). */
const INVENTORY = 'gold.inventory_realtime';
const STORE_STATUS = 'gold.store_status';
const SALES_BY_HOUR = 'gold.sales_by_store_hour';
const SHIPMENTS = 'gold.shipments';
const STORE_HEALTH = 'gold.store_health';
const FORECAST = 'gold.demand_forecast';

/** Stockout risks, most urgent first: the order /stores/{id}/forecast lists SKUs in. */
const RISK_ORDER = ['OUT', 'HIGH', 'MEDIUM', 'UNKNOWN', 'LOW'];

const freshness = (iso: unknown, now: number): number | null =>
  typeof iso === 'string' ? Math.max(0, Math.round((now - Date.parse(iso)) / 100) / 10) : null;

function storeView(row: Row, now: number) {
  return {
    store_id: row.store_id,
    name: row.name,
    city: row.city,
    region: row.region,
    format: row.format,
    skus: row.skus,
    status_counts: { OVERSOLD: row.oversold, LOW: row.low, OK: row.ok, UNKNOWN: row.unknown },
    bills: row.bills,
    net_sales_paise: row.net_sales_paise,
    last_event_at: row.last_event_at,
    last_accepted_at: row.last_accepted_at,
    freshness_seconds: freshness(row.last_accepted_at, now),
    // gold.store_health: the tills' silence, judged on the chain's clock (null before it exists).
    last_pos_at: row.last_pos_at ?? null,
    pos_gap_minutes: row.pos_gap_minutes ?? null,
    is_silent: row.is_silent ?? false,
    open_at_watermark: row.open_at_watermark ?? null,
    silent_after_minutes: row.silent_after_minutes ?? null,
    chain_watermark: row.chain_watermark ?? null,
  };
}

/**
 * The JSON API. Reads go to their own DuckDB connection, so they see the last committed model run
 * and never wait for the run in progress. Per-run results that every dashboard asks for (the
 * chain overview) are computed once per run and cached.
 */
export function apiRoutes(platform: Platform, conn: Connection): Hono {
  const app = new Hono();
  let storesCache: { run: number; rows: Row[] } | null = null;

  /** The gold tables that exist now (a data dir from before a mart was added lacks it until a run). */
  const goldTables = async (): Promise<Set<string>> =>
    new Set(
      (
        await conn.rows(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'gold'",
        )
      ).map((r) => String(r.table_name)),
    );

  const storeRows = async (): Promise<Row[]> => {
    const run = platform.models.state.runs;
    if (storesCache?.run !== run) {
      // Before the first model run there is no store_status yet: that is "no stores", not an
      // error. Any other failure reaches the client as one.
      const tables = await goldTables();
      const health = tables.has('store_health')
        ? `LEFT JOIN (SELECT store_id, last_pos_at, pos_gap_minutes, is_silent, open_at_watermark,
             silent_after_minutes, chain_watermark FROM ${STORE_HEALTH}) USING (store_id)`
        : '';
      storesCache = {
        run,
        rows: tables.has('store_status')
          ? await conn.rows(`SELECT * FROM ${STORE_STATUS} ${health} ORDER BY store_id`)
          : [],
      };
    }
    return storesCache.rows;
  };

  const storeExists = async (storeId: string): Promise<boolean> =>
    (await storeRows()).some((r) => r.store_id === storeId);

  app.get('/health', (c) => {
    const now = Date.now();
    const status = platform.status();
    const tables: Record<string, unknown> = {};
    for (const t of platform.tables(now)) {
      tables[t.name] = {
        layer: t.layer,
        version: t.version,
        freshness_seconds: t.freshness_seconds,
        lake_freshness_seconds: t.lake_freshness_seconds,
      };
    }
    const models = platform.models.state;
    const alerts = platform.alerts();
    const health =
      status.state !== 'running'
        ? status.state
        : models.runs === 0
          ? 'starting'
          : models.lastError || alerts.length > 0
            ? 'degraded'
            : 'ok';
    return c.json({
      status: health,
      time: new Date(now).toISOString(),
      events_per_second: Math.round(status.eventsPerSecond * 10) / 10,
      events_accepted: status.eventsAccepted,
      events_rejected: status.eventsRejected,
      errors: status.errors,
      last_error: status.lastError,
      gold_freshness_seconds: status.goldFreshnessSeconds,
      source: platform.source?.status() ?? null,
      sources: platform.sourceStatuses(),
      alerts,
      model_runs: models.runs,
      last_model_run_ms: models.lastRunMs === null ? null : Math.round(models.lastRunMs),
      data_tests: platform.models.dataTests,
      tables,
    });
  });

  // Every source with its state, position, lag and last error (`freshet sources` reads this).
  app.get('/sources', (c) => c.json({ sources: platform.sourceStatuses() }));

  app.get('/stores', async (c) => {
    const now = Date.now();
    return c.json((await storeRows()).map((r) => storeView(r, now)));
  });

  app.get('/stores/:storeId', async (c) => {
    const storeId = c.req.param('storeId');
    const row = (await storeRows()).find((r) => r.store_id === storeId);
    if (!row)
      return c.json(
        { error: `store '${storeId}' does not exist; GET /api/stores lists every store` },
        404,
      );
    return c.json(storeView(row, Date.now()));
  });

  app.get('/stores/:storeId/inventory', async (c) => {
    const storeId = c.req.param('storeId');
    if (!(await storeExists(storeId))) {
      return c.json(
        { error: `store '${storeId}' does not exist; GET /api/stores lists every store` },
        404,
      );
    }
    const rows = await conn.rows(
      `SELECT * FROM ${INVENTORY} WHERE store_id = ${quoteLiteral(storeId)} ORDER BY sku`,
    );
    return c.json(rows);
  });

  app.get('/stores/:storeId/inventory/:sku', async (c) => {
    const { storeId, sku } = c.req.param();
    if (!(await storeExists(storeId))) {
      return c.json(
        { error: `store '${storeId}' does not exist; GET /api/stores lists every store` },
        404,
      );
    }
    const rows = await conn.rows(
      `SELECT * FROM ${INVENTORY} WHERE store_id = ${quoteLiteral(storeId)} AND sku = ${quoteLiteral(sku)}`,
    );
    if (rows.length === 0) {
      return c.json(
        {
          error: `store '${storeId}' has no inventory row for SKU '${sku}' (no count, sale, shipment or reservation of it yet)`,
        },
        404,
      );
    }
    return c.json(rows[0]);
  });

  const unknownStore = (storeId: string) => ({
    error: `store '${storeId}' does not exist; GET /api/stores lists every store`,
  });

  // A store's sales by IST hour for one day: ?date=YYYY-MM-DD, else the store's latest day with
  // sales (the simulator's clock may run ahead of the wall clock).
  app.get('/stores/:storeId/sales', async (c) => {
    const storeId = c.req.param('storeId');
    if (!(await storeExists(storeId))) return c.json(unknownStore(storeId), 404);
    const asked = c.req.query('date');
    if (asked !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(asked))
      return c.json({ error: `date must be YYYY-MM-DD, got '${asked}'` }, 400);
    const store = quoteLiteral(storeId);
    const [latest] = await conn.rows(
      `SELECT strftime(max(date_ist), '%Y-%m-%d') AS d FROM ${SALES_BY_HOUR} WHERE store_id = ${store}`,
    );
    const date = asked ?? (latest?.d as string | null) ?? null;
    const hours = date
      ? await conn.rows(
          `SELECT hour_ist, bills, units_sold, units_returned, units_voided, sales_paise, returns_paise, voids_paise, net_sales_paise
           FROM ${SALES_BY_HOUR} WHERE store_id = ${store} AND date_ist = ${quoteLiteral(date)}::DATE
           ORDER BY hour_ist`,
        )
      : [];
    const sum = (k: string) => hours.reduce((a, r) => a + Number(r[k] ?? 0), 0);
    return c.json({
      store_id: storeId,
      date_ist: date,
      totals: {
        bills: sum('bills'),
        units_sold: sum('units_sold'),
        units_returned: sum('units_returned'),
        units_voided: sum('units_voided'),
        net_sales_paise: sum('net_sales_paise'),
      },
      hours,
    });
  });

  // A store's shipments: every incoming one (soonest eta first), then the latest received.
  app.get('/stores/:storeId/shipments', async (c) => {
    const storeId = c.req.param('storeId');
    if (!(await storeExists(storeId))) return c.json(unknownStore(storeId), 404);
    const store = quoteLiteral(storeId);
    const cols = `shipment_id, dc_id, status, dispatched_at, eta, received_at, units_dispatched,
      units_received, shrinkage_units, was_delayed, incoming, last_event_at`;
    const incoming = await conn.rows(
      `SELECT ${cols} FROM ${SHIPMENTS} WHERE store_id = ${store} AND incoming ORDER BY eta NULLS LAST, shipment_id`,
    );
    const received = await conn.rows(
      `SELECT ${cols} FROM ${SHIPMENTS} WHERE store_id = ${store} AND NOT incoming ORDER BY received_at DESC LIMIT 10`,
    );
    return c.json({ store_id: storeId, incoming, received });
  });

  // A store's demand forecast for the day after the chain's clock, most urgent stockout risk
  // first (OUT, HIGH, MEDIUM, UNKNOWN, LOW), then least cover and largest suggested order.
  // ?limit=N returns the first N.
  app.get('/stores/:storeId/forecast', async (c) => {
    const storeId = c.req.param('storeId');
    if (!(await storeExists(storeId))) return c.json(unknownStore(storeId), 404);
    const asked = c.req.query('limit');
    const limit = asked === undefined ? null : Number(asked);
    if (limit !== null && !(Number.isSafeInteger(limit) && limit > 0))
      return c.json({ error: `limit must be a positive integer, got '${asked}'` }, 400);
    if (!(await goldTables()).has('demand_forecast')) return c.json([]);
    const risk = RISK_ORDER.map((r, i) => `WHEN ${quoteLiteral(r)} THEN ${i}`).join(' ');
    const rows = await conn.rows(
      `SELECT * FROM ${FORECAST}
       WHERE store_id = ${quoteLiteral(storeId)}
       ORDER BY CASE stockout_risk ${risk} ELSE ${RISK_ORDER.length} END, days_of_cover NULLS LAST,
         suggested_replenishment_qty DESC NULLS LAST, forecast_units DESC, sku
       ${limit === null ? '' : `LIMIT ${limit}`}`,
    );
    return c.json(rows);
  });

  // Read-only SQL over the served tables, for `freshet sql` while the platform runs.
  app.post('/sql', async (c) => {
    const body = await c.req.json().catch(() => null);
    if (!body || typeof body.sql !== 'string')
      return c.json({ error: 'send a JSON body {"sql": "SELECT …"}' }, 400);
    try {
      const result = await conn.readOnlyQuery(body.sql);
      return c.json(result);
    } catch (err) {
      if (err instanceof QueryError || err instanceof EngineError)
        return c.json({ error: err.message }, 400);
      throw err;
    }
  });

  // Live updates: one message per model run with the chain summary, so a dashboard redraws
  // without polling.
  app.get('/stream', (c) =>
    streamSSE(c, async (stream) => {
      let closed = false;
      const send = async () => {
        const now = Date.now();
        const stores = (await storeRows()).map((r) => storeView(r, now));
        await stream.writeSSE({
          event: 'stores',
          data: JSON.stringify({
            at: new Date(now).toISOString(),
            run: platform.models.state.runs,
            stores,
          }),
        });
      };
      const off = platform.on((e) => {
        if (e.type === 'run' && !closed) void send().catch(() => undefined);
      });
      await send();
      // Held open until the client goes away (or the server closes it); a ping every 15 s keeps
      // proxies from timing the connection out. No timer outlives the connection.
      await new Promise<void>((resolve) => {
        const ping = setInterval(
          () => void stream.writeSSE({ event: 'ping', data: '' }).catch(() => undefined),
          15_000,
        );
        stream.onAbort(() => {
          closed = true;
          clearInterval(ping);
          off();
          resolve();
        });
      });
    }),
  );

  app.notFound((c) => c.json({ error: `no such endpoint: ${c.req.method} ${c.req.path}` }, 404));
  return app;
}
