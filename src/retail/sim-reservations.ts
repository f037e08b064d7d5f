// orders.reservations: an online order picked from a store reserves units; later the same
// reservation is fulfilled (the goods leave the store) or released (the order was cancelled or
// not collected). Reserved units are held back from walk-in sales.

import type { Sku } from './catalog.js';
import type { ReservationEvent } from './events.js';
import { orderId, reservationId } from './ids.js';
import type { SimContext } from './sim-context.js';
import type { OpenReservation, StoreState } from './store-state.js';

/** Open reservations a store holds before it must close some (assumed). */
const MAX_OPEN = 12;
const CLOSE_SHARE = 0.5;
/** Most picked orders are collected (assumed). */
const FULFIL_SHARE = 0.75;

export function reservation(ctx: SimContext, st: StoreState): ReservationEvent | null {
  const { rng } = ctx;
  const open = st.reservations;
  if (open.length > 0 && (open.length >= MAX_OPEN || rng.chance(CLOSE_SHARE))) {
    const index = rng.int(0, open.length - 1);
    const r = open[index] as OpenReservation;
    const last = open.pop() as OpenReservation;
    if (index < open.length) open[index] = last;
    const action = rng.chance(FULFIL_SHARE) ? 'fulfil' : 'release';
    st.reserved[r.pos] = (st.reserved[r.pos] as number) - r.qty;
    if (action === 'fulfil') st.take(r.pos, r.qty);
    return ctx.emit ? payload(ctx, st, r, action) : null;
  }

  let pos = -1;
  for (let tries = 0; tries < 4 && pos < 0; tries++) {
    const p = st.assortment.demand.sample(rng);
    if (st.available(p) > 0) pos = p;
  }
  // Nothing free among the SKUs tried: the web shop reserved a unit the store does not have
  // (its stock view lags), which is one way a SKU ends up OVERSOLD.
  const qty = pos < 0 ? 1 : rng.int(1, Math.min(3, st.available(pos)));
  if (pos < 0) pos = st.assortment.demand.sample(rng);
  const r: OpenReservation = { reservationNo: st.nextReservationNo(), orderSeq: ctx.seq, pos, qty };
  open.push(r);
  st.reserved[pos] = (st.reserved[pos] as number) + qty;
  st.checkReplenishment(pos);
  return ctx.emit ? payload(ctx, st, r, 'reserve') : null;
}

function payload(
  ctx: SimContext,
  st: StoreState,
  r: OpenReservation,
  action: ReservationEvent['action'],
): ReservationEvent {
  return {
    event_id: ctx.eventId,
    event_ts: ctx.eventTs,
    store_id: st.store.store_id,
    reservation_id: reservationId(st.store.store_id, r.reservationNo),
    order_id: orderId(r.orderSeq),
    action,
    sku: (ctx.catalog[st.assortment.skus[r.pos] as number] as Sku).sku,
    qty: r.qty,
  };
}
