// logistics.shipments: a distribution centre dispatches a truck with the SKUs a store ran low
// on (or a routine top-up of fresh goods); over later events the shipment goes in transit,
// sometimes gets delayed, and is received, sometimes short of what was dispatched (damage,
// pilferage). Only the received quantity reaches the shelf.

import type { Sku } from './catalog.js';
import type { ShipmentEvent, ShipmentLine, ShipmentStatus } from './events.js';
import { shipmentId } from './ids.js';
import { formatIst } from './ist-time.js';
import type { SimContext } from './sim-context.js';
import {
  Replenishment,
  type InFlightShipment,
  type ShipmentLinePlan,
  type StoreState,
} from './store-state.js';
import type { StoreFormat } from './stores.js';

/**
 * A DC sends a replenishment truck once enough SKUs of a store ran low, or once the first of
 * them has waited MAX_WAIT shipment events: trucks run full, so low stock lingers a while (and
 * LOW shows on the dashboard) before it is refilled. Sizes are assumed.
 */
const TRUCK_LINES: Readonly<Record<StoreFormat, number>> = {
  hypermarket: 30,
  supermarket: 15,
  express: 8,
};
const MAX_WAIT = 6;
const DELAY_SHARE = 0.15;
const SHORT_LINE_SHARE = 0.06;
const MAX_LINES = 40;
/** A replenishment refills a slot to 4–6× its low-stock threshold (assumed). */
const TARGET_LOW = 4;
const TARGET_HIGH = 6;
const HOUR_MS = 3_600_000;

export function shipment(ctx: SimContext, st: StoreState): ShipmentEvent | null {
  const waiting = st.replenishQueue.length;
  st.replenishWait = waiting > 0 ? st.replenishWait + 1 : 0;
  if (waiting >= TRUCK_LINES[st.store.format] || (waiting > 0 && st.replenishWait >= MAX_WAIT)) {
    st.replenishWait = 0;
    return dispatch(ctx, st, true);
  }
  if (st.shipments.length > 0) return advance(ctx, st);
  return dispatch(ctx, st, false);
}

/** Sends a truck: the waiting replenishment queue, or else a routine top-up. */
function dispatch(ctx: SimContext, st: StoreState, replenish: boolean): ShipmentEvent | null {
  const { rng } = ctx;
  const lines: ShipmentLinePlan[] = [];
  const queue = st.replenishQueue;
  if (replenish) {
    for (const pos of queue.splice(0, MAX_LINES)) lines.push({ pos, qty: refill(ctx, st, pos) });
  } else {
    routineTopUp(ctx, st, lines);
  }
  for (const line of lines) st.replenishment[line.pos] = Replenishment.InFlight;
  const s: InFlightShipment = {
    shipmentNo: ctx.nextShipmentNo(),
    dcId: rng.pick(st.dcIds),
    stage: 'dispatched',
    leadHours: rng.int(4, 48),
    lines,
  };
  st.shipments.push(s);
  return ctx.emit ? payload(ctx, st, s, 'dispatched', s.leadHours, null) : null;
}

/**
 * Between replenishment trucks the DC still sends the daily top-up (fresh goods above all):
 * SKUs in a stretch of aisle that sit below their refill target and are not waiting for a truck.
 */
function routineTopUp(ctx: SimContext, st: StoreState, lines: ShipmentLinePlan[]): void {
  const { rng } = ctx;
  const aisle = st.assortment.aisleOrder;
  const n = aisle.length;
  const start = rng.int(0, n - 1);
  for (let k = 0; k < Math.min(n, 30) && lines.length < 15; k++) {
    const pos = aisle[(start + k) % n] as number;
    if (st.replenishment[pos] !== Replenishment.None) continue;
    if (st.available(pos) < TARGET_LOW * (st.assortment.thresholds[pos] as number)) {
      lines.push({ pos, qty: refill(ctx, st, pos) });
    }
  }
  if (lines.length === 0) {
    // A full aisle: the truck brings one popular SKU anyway (a promotion's extra stock).
    const pos = st.assortment.demand.sample(rng);
    lines.push({ pos, qty: 2 * (st.assortment.thresholds[pos] as number) });
  }
}

function refill(ctx: SimContext, st: StoreState, pos: number): number {
  const threshold = st.assortment.thresholds[pos] as number;
  const target = threshold * ctx.rng.int(TARGET_LOW, TARGET_HIGH);
  return Math.max(threshold, target - st.available(pos));
}

function advance(ctx: SimContext, st: StoreState): ShipmentEvent | null {
  const { rng } = ctx;
  // Trucks arrive roughly in the order they left.
  const s = st.shipments[0] as InFlightShipment;
  if (s.stage === 'dispatched') {
    s.stage = 'in_transit';
    return ctx.emit ? payload(ctx, st, s, 'in_transit', Math.ceil(s.leadHours / 2), null) : null;
  }
  if (s.stage === 'in_transit' && rng.chance(DELAY_SHARE)) {
    s.stage = 'delayed';
    // Drawn whether or not the event is built: skipTo() must consume the same numbers.
    const delayHours = rng.int(4, 24);
    return ctx.emit ? payload(ctx, st, s, 'delayed', delayHours, null) : null;
  }
  st.shipments.shift();
  const received = new Int32Array(s.lines.length);
  s.lines.forEach((line, i) => {
    const short = rng.chance(SHORT_LINE_SHARE)
      ? rng.int(1, Math.max(1, Math.floor(line.qty / 10)))
      : 0;
    const qty = line.qty - short;
    received[i] = qty;
    st.stock[line.pos] = (st.stock[line.pos] as number) + qty;
    st.replenishment[line.pos] = Replenishment.None;
    st.checkReplenishment(line.pos);
  });
  return ctx.emit ? payload(ctx, st, s, 'received', null, received) : null;
}

function payload(
  ctx: SimContext,
  st: StoreState,
  s: InFlightShipment,
  status: ShipmentStatus,
  etaHours: number | null,
  received: Int32Array | null,
): ShipmentEvent {
  // The eta is relative to the event's own time, so it moves with the clock like event_ts does.
  const eta =
    etaHours === null
      ? null
      : formatIst(Math.floor((ctx.eventMs + etaHours * HOUR_MS) / 60_000) * 60_000);
  return {
    event_id: ctx.eventId,
    event_ts: ctx.eventTs,
    store_id: st.store.store_id,
    shipment_id: shipmentId(s.shipmentNo),
    dc_id: s.dcId,
    status,
    eta,
    lines: s.lines.map((line, i): ShipmentLine => ({
      sku: (ctx.catalog[st.assortment.skus[line.pos] as number] as Sku).sku,
      qty_dispatched: line.qty,
      qty_received: received === null ? null : (received[i] as number),
    })),
  };
}
