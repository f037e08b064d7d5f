// inventory.transfers: a store with plenty of a SKU sends some to a store nearby (same city,
// else same region) that also carries it; the `out` event leaves now, and a later transfer event
// of the receiving store brings the goods in. Both ends move stock at their own event's time,
// so stock in transit is on neither shelf — as a count would find it.

import type { Sku } from './catalog.js';
import type { PendingTransfer } from './chain-state.js';
import type { TransferEvent, TransferLine } from './events.js';
import { transferId } from './ids.js';
import type { SimContext } from './sim-context.js';
import type { StoreState } from './store-state.js';

/** A store sends only what it holds well above its low-stock threshold (assumed 3×). */
const SURPLUS_FACTOR = 3;
const MAX_LINES = 5;
/** A store with goods on their way in receives them rather than sending more (assumed). */
const RECEIVE_SHARE = 0.7;

/** Returned when the store has nothing to send or receive: the caller makes another event. */
export const NO_TRANSFER = Symbol('no transfer');

export function transfer(
  ctx: SimContext,
  st: StoreState,
): TransferEvent | null | typeof NO_TRANSFER {
  const queue = ctx.chain.incoming.get(st.index);
  if (queue && queue.length > 0 && (st.peers.length === 0 || ctx.rng.chance(RECEIVE_SHARE))) {
    return receive(ctx, st, queue.shift() as PendingTransfer);
  }
  if (st.peers.length === 0) return NO_TRANSFER;
  return send(ctx, st);
}

function send(ctx: SimContext, st: StoreState): TransferEvent | null | typeof NO_TRANSFER {
  const { rng } = ctx;
  const to = rng.pick(st.peers);
  const wanted = rng.int(1, MAX_LINES);
  const lines: Array<[number, number]> = [];
  for (let tries = 0; tries < 3 * MAX_LINES && lines.length < wanted; tries++) {
    const pos = st.assortment.demand.sample(rng);
    const index = st.assortment.skus[pos] as number;
    const threshold = st.assortment.thresholds[pos] as number;
    const surplus = st.available(pos) - SURPLUS_FACTOR * threshold;
    if (surplus <= 0 || to.slotOf(index) < 0 || lines.some(([i]) => i === index)) continue;
    const qty = rng.int(1, Math.min(surplus, 2 * threshold));
    st.take(pos, qty);
    lines.push([index, qty]);
  }
  if (lines.length === 0) return NO_TRANSFER;
  const pending: PendingTransfer = { transferNo: ctx.chain.nextTransferNo(), from: st, lines };
  const queue = ctx.chain.incoming.get(to.index) ?? [];
  queue.push(pending);
  ctx.chain.incoming.set(to.index, queue);
  return ctx.emit ? payload(ctx, st, to, pending, 'out') : null;
}

function receive(ctx: SimContext, st: StoreState, t: PendingTransfer): TransferEvent | null {
  for (const [index, qty] of t.lines) {
    const pos = st.slotOf(index);
    st.stock[pos] = (st.stock[pos] as number) + qty;
  }
  return ctx.emit ? payload(ctx, st, t.from, t, 'in') : null;
}

function payload(
  ctx: SimContext,
  st: StoreState,
  other: StoreState,
  t: PendingTransfer,
  direction: 'out' | 'in',
): TransferEvent {
  return {
    event_id: ctx.eventId,
    event_ts: ctx.eventTs,
    store_id: st.store.store_id,
    transfer_id: transferId(t.transferNo),
    direction,
    other_store_id: other.store.store_id,
    lines: t.lines.map(([index, qty]): TransferLine => ({
      sku: (ctx.catalog[index] as Sku).sku,
      qty,
    })),
  };
}
