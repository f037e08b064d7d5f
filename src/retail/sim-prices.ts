// erp.prices and in-stream erp.products: the ERP marks SKUs down (apparel and festive goods
// deeper), runs and ends promotions, and now and then revises an MRP — which it announces as an
// updated product master followed by the new price. A selling price never exceeds the MRP (the
// law in India), and tills charge the price in force when the bill is rung up.

import type { Category, Sku } from './catalog.js';
import type { PriceChangeEvent, ProductEvent } from './events.js';
import type { SimContext } from './sim-context.js';
import type { StoreState } from './store-state.js';

const MRP_REVISION_SHARE = 0.1;
/** An MRP revision raises the MRP by 3–8% (assumed: input-cost pass-through). */
const REVISION_PCT: readonly [number, number] = [3, 8];
const DEEP_MARKDOWN: ReadonlySet<Category> = new Set(['apparel', 'footwear', 'festive']);
const DEEP_PCTS = [10, 20, 30, 40, 50] as const;
const SHALLOW_PCTS = [5, 10, 15] as const;

export type PriceEvent =
  | readonly ['erp.prices', string, PriceChangeEvent | null]
  | readonly ['erp.products', string, ProductEvent | null];

/** A price change or product master update for a SKU the store sells. */
export function priceChange(ctx: SimContext, st: StoreState): PriceEvent {
  const { rng, chain } = ctx;
  const index = st.assortment.skus[st.assortment.demand.sample(rng)] as number;
  const sku = ctx.catalog[index] as Sku;
  const mrp = chain.mrp[index] as number;
  const price = chain.price[index] as number;

  // An MRP is revised at most once per SKU in a stream: revisions compounding on a popular SKU
  // would soon price salt like gold.
  const revise = rng.chance(MRP_REVISION_SHARE);
  if (revise && mrp === sku.mrp_paise) {
    const pct = rng.int(REVISION_PCT[0], REVISION_PCT[1]);
    const newMrp = Math.round((mrp * (100 + pct)) / 10_000) * 100;
    chain.mrp[index] = newMrp;
    chain.price[index] = newMrp;
    const product: ProductEvent | null = ctx.emit
      ? { event_id: ctx.eventId, event_ts: ctx.eventTs, ...sku, mrp_paise: newMrp }
      : null;
    return ['erp.products', sku.sku, product];
  }

  let reason: PriceChangeEvent['reason'];
  let newPrice: number;
  if (price < mrp && rng.chance(0.6)) {
    reason = 'promotion_end';
    newPrice = mrp;
  } else {
    const deep = DEEP_MARKDOWN.has(sku.category);
    const pct = deep ? rng.pick(DEEP_PCTS) : rng.pick(SHALLOW_PCTS);
    reason = deep ? 'markdown' : 'promotion';
    // Whole rupees, at least one.
    newPrice = Math.max(100, Math.floor((mrp * (100 - pct)) / 10_000) * 100);
  }
  chain.price[index] = newPrice;
  const event: PriceChangeEvent | null = ctx.emit
    ? {
        event_id: ctx.eventId,
        event_ts: ctx.eventTs,
        sku: sku.sku,
        price_paise: newPrice,
        mrp_paise: mrp,
        reason,
        effective_from: ctx.eventTs,
      }
    : null;
  return ['erp.prices', sku.sku, event];
}
