// inventory.counts: cycle counts walk a few metres of aisle (5–20 SKUs in shelf order); now and
// then a store does a full count, which is far too big for one message and goes out as pages of
// at most MAX_COUNT_LINES lines. A count reports the true shelf quantity, after shrinkage the
// counter discovers (theft, damage) and with a rare miscount: a miscount low is how OVERSOLD
// happens without any pipeline fault.

import type { Sku } from './catalog.js';
import type { CountLine, InventoryCountEvent } from './events.js';
import { countId } from './ids.js';
import type { SimContext } from './sim-context.js';
import type { StoreState } from './store-state.js';

export const MAX_COUNT_LINES = 50;
const FULL_COUNT_START_SHARE = 0.004;
const SHRINKAGE_SHARE = 0.02;
const MISCOUNT_SHARE = 0.005;

export function inventoryCount(ctx: SimContext, st: StoreState): InventoryCountEvent | null {
  const { rng } = ctx;
  const aisle = st.assortment.aisleOrder;
  const n = aisle.length;

  let countType: 'cycle' | 'full';
  let id: number;
  let page: number | undefined;
  let start: number;
  let size: number;
  const full =
    st.fullCount ??
    (rng.chance(FULL_COUNT_START_SHARE) ? { countNo: st.nextCountNo(), page: 0, cursor: 0 } : null);
  if (full !== null) {
    countType = 'full';
    id = full.countNo;
    page = ++full.page;
    start = full.cursor;
    size = Math.min(MAX_COUNT_LINES, n - start);
    full.cursor += size;
    st.fullCount = full.cursor < n ? full : null;
  } else {
    countType = 'cycle';
    id = st.nextCountNo();
    start = rng.int(0, n - 1);
    size = Math.min(n, rng.int(5, 20));
  }

  const lines: CountLine[] | null = ctx.emit ? [] : null;
  for (let k = 0; k < size; k++) {
    const pos = aisle[(start + k) % n] as number;
    const counted = countSlot(ctx, st, pos);
    lines?.push({
      sku: (ctx.catalog[st.assortment.skus[pos] as number] as Sku).sku,
      counted_qty: counted,
    });
  }
  if (lines === null) return null;
  return {
    event_id: ctx.eventId,
    event_ts: ctx.eventTs,
    store_id: st.store.store_id,
    count_id: countId(st.store.store_id, id, page),
    count_type: countType,
    lines,
  };
}

/** What the counter writes down for one slot; applies the shrinkage the count discovers. */
function countSlot(ctx: SimContext, st: StoreState, pos: number): number {
  const { rng } = ctx;
  const onShelf = st.stock[pos] as number;
  if (onShelf > 0 && rng.chance(SHRINKAGE_SHARE)) st.take(pos, rng.int(1, Math.min(3, onShelf)));
  const truth = st.stock[pos] as number;
  if (!rng.chance(MISCOUNT_SHARE)) return truth;
  const off = rng.int(1, 2);
  return rng.chance(0.7) ? Math.max(0, truth - off) : truth + off;
}
