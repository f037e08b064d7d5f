// gold.demand_forecast and gold.store_health on a week of a real chain's POS lines, without the
// platform around them: synthetic silver tables in DuckDB, then each model's compiled SQL built
// three times.
//
//   npm run build && node bench/retail-marts-week.mjs [--lines 17000000]
//
// 800 stores ring up about 480,000 bills a day (AVERAGE_BILLS_PER_DAY × 800), roughly 2.4
// million lines: a week is ~17 million lines over up to 2.4 million (store, SKU) pairs. The lines
// are spread evenly over 7 days, 2% returns and 1% voids; counts, reservations and shipments are
// a 1% sample of them, and gold.inventory_realtime one row per pair.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_PROJECT_DIR } from '../dist/config/index.js';
import { Session } from '../dist/engine/index.js';
import { DEFAULT_TARGET, ModelRunner } from '../dist/models/index.js';

const { values } = parseArgs({ options: { lines: { type: 'string', default: '17000000' } } });
const n = Number(values.lines);
const runner = await ModelRunner.open(DEFAULT_PROJECT_DIR, { target: DEFAULT_TARGET });
const session = await Session.open({ threads: 2 });
const c = session.connection;
await runner.seed(c);
await c.run('CREATE SCHEMA IF NOT EXISTS silver; CREATE SCHEMA IF NOT EXISTS gold');
let t = performance.now();
await c.run(`CREATE TABLE silver.pos_lines AS
  SELECT 'E' || i AS event_id, 1 AS line_no, 'B' || (i // 3) AS bill_id,
    'S' || lpad(((hash(i) % 800) + 1)::VARCHAR, 4, '0') AS store_id,
    'SKU' || lpad(((hash(i * 7) % 3000) + 1)::VARCHAR, 5, '0') AS sku,
    CASE WHEN i % 50 = 0 THEN 'return' WHEN i % 97 = 0 THEN 'void' ELSE 'sale' END AS kind,
    1 + (i % 3)::INTEGER AS qty,
    TIMESTAMPTZ '2026-11-01 00:00:00+00' + to_microseconds(((i::HUGEINT * 604800000000) // ${n})::BIGINT) AS event_at,
    now() AS _accepted_at
  FROM range(${n}) t(i)`);
await c.run(`CREATE TABLE silver.products AS
  SELECT 'SKU' || lpad(i::VARCHAR, 5, '0') AS sku, (['staples', 'festive', 'apparel', 'dairy_fresh'])[1 + i % 4] AS category
  FROM range(1, 3001) t(i)`);
await c.run(`CREATE TABLE silver.stores AS
  SELECT 'S' || lpad(i::VARCHAR, 4, '0') AS store_id, 'n' AS name, 'c' AS city, 'r' AS region, 'f' AS format, '09:00' AS opens, '22:00' AS closes
  FROM range(1, 801) t(i)`);
for (const [table, time] of [
  ['count_lines', 'counted_at'],
  ['reservations', 'event_at'],
  ['shipment_lines', 'event_at'],
]) {
  await c.run(
    `CREATE TABLE silver.${table} AS SELECT store_id, sku, event_at AS ${time}, _accepted_at FROM silver.pos_lines USING SAMPLE 1%`,
  );
}
await c.run(`CREATE TABLE gold.inventory_realtime AS
  SELECT store_id, sku, (hash(store_id || sku) % 50)::BIGINT - 5 AS available_qty, 10 AS low_stock_threshold
  FROM (SELECT DISTINCT store_id, sku FROM silver.pos_lines)`);
console.log(`${n} POS lines set up in ${Math.round(performance.now() - t)} ms`);
for (const model of ['demand_forecast', 'store_health']) {
  const text = readFileSync(`${DEFAULT_PROJECT_DIR}/models/gold/${model}.sql`, 'utf8');
  const { sql } = runner.compiler.compileInline(text);
  for (let k = 0; k < 3; k++) {
    t = performance.now();
    await c.run(`CREATE OR REPLACE TABLE gold.${model} AS ${sql}`);
    const [r] = await c.rows(`SELECT count(*) AS n FROM gold.${model}`);
    console.log(`${model}: ${Math.round(performance.now() - t)} ms, ${r.n} rows`);
  }
}
session.close();
