import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FRESHET_BIN } from './platform-process.js';

const run = promisify(execFile);

/** The bronze tables of the simulator's topics. */
export const RETAIL_BRONZE_TABLES = [
  'erp_stores',
  'erp_products',
  'pos_transactions',
  'inventory_counts',
  'orders_reservations',
  'logistics_shipments',
  'inventory_transfers',
  'erp_prices',
  'crm_customers',
];

/** Every event id in the retail bronze tables, as a SQL query (one row per bronze row). */
export const BRONZE_EVENT_IDS = RETAIL_BRONZE_TABLES.map(
  (t) => `select event_id from bronze.${t}`,
).join(' union all ');

/** Bronze rows and distinct event ids of a stopped platform's data dir, read by `freshet sql`. */
export async function bronzeEventCounts(dataDir: string): Promise<{ n: number; ids: number }> {
  const { stdout } = await run(
    process.execPath,
    [
      FRESHET_BIN,
      'sql',
      `select count(*) as n, count(distinct event_id) as ids from (${BRONZE_EVENT_IDS})`,
      '--data-dir',
      dataDir,
      '--format',
      'json',
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  return (JSON.parse(stdout) as Array<{ n: number; ids: number }>)[0]!;
}
