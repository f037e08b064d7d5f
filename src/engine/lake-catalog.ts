import { DeltaTable, findTables, type ObjectStore } from '../lake/index.js';
import { defineLakeView } from './lake-tables.js';
import type { Connection } from './session.js';

/**
 * Makes every Delta table of a lake queryable by name: the table at `gold/inventory_realtime`
 * becomes the view `gold.inventory_realtime`. Used to query the lake with no platform running.
 */
export async function attachLake(conn: Connection, store: ObjectStore): Promise<string[]> {
  const names: string[] = [];
  for (const path of await findTables(store)) {
    const parts = path.split('/').filter(Boolean);
    if (parts.length !== 2) continue; // Freshet's lake layout is <layer>/<table>
    const [layer, name] = parts as [string, string];
    const table = await DeltaTable.open(store, path);
    await defineLakeView(conn, layer, name, table, await table.snapshot());
    names.push(`${layer}.${name}`);
  }
  return names.sort();
}
