// Per-store status counts over the oracle's inventory rows: what the dashboard's store tiles
// show, computed independently of the serving layer so that it can be checked too.

import type { InventoryRow } from './oracle.js';

export interface StoreSummary {
  store_id: string;
  /** Rows (SKUs with any event) of the store. */
  sku_count: number;
  unknown_count: number;
  oversold_count: number;
  low_count: number;
  ok_count: number;
}

/**
 * Counts each status per store. Stores from `stores` with no rows appear with zeros (a silent
 * store must show up, not vanish); stores with rows but missing from `stores` appear too.
 */
export function computeStoreSummary(
  rows: Iterable<InventoryRow> | ReadonlyMap<string, InventoryRow>,
  stores: Iterable<{ store_id: string }> = [],
): Map<string, StoreSummary> {
  const summary = new Map<string, StoreSummary>();
  const get = (storeId: string): StoreSummary => {
    let s = summary.get(storeId);
    if (s === undefined) {
      s = {
        store_id: storeId,
        sku_count: 0,
        unknown_count: 0,
        oversold_count: 0,
        low_count: 0,
        ok_count: 0,
      };
      summary.set(storeId, s);
    }
    return s;
  };
  for (const store of stores) get(store.store_id);
  const values =
    rows instanceof Map
      ? (rows as ReadonlyMap<string, InventoryRow>).values()
      : (rows as Iterable<InventoryRow>);
  for (const r of values) {
    const s = get(r.store_id);
    s.sku_count++;
    if (r.status === 'UNKNOWN') s.unknown_count++;
    else if (r.status === 'OVERSOLD') s.oversold_count++;
    else if (r.status === 'LOW') s.low_count++;
    else s.ok_count++;
  }
  return summary;
}
