// pos.transactions: bills of 1–8 lines drawn by popularity from what is on the shelf, and
// returns against a recent bill of the same store. Sales never take more than the true
// available stock (shelf minus units promised to online orders): a till cannot scan goods
// that are not there.

import type { Sku } from './catalog.js';
import type { PosLine, PosTransactionEvent, Tender } from './events.js';
import { billId, cashierId, registerId } from './ids.js';
import { MAX_BILL_LINES } from './recent-bills.js';
import { WeightedSampler } from './prng.js';
import type { SimContext } from './sim-context.js';
import type { StoreState } from './store-state.js';
import type { StoreFormat } from './stores.js';

/** Share of POS events that are returns (RETAIL.md-inspired, assumed). */
export const RETURN_SHARE = 0.04;
/** Share of POS events that void a bill just rung up (payment failed, shopper left; assumed). */
export const VOID_SHARE = 0.01;

/**
 * Lines per bill, 1..MAX_BILL_LINES: a long tail, as real baskets have (docs/distributions.md
 * compares them with a real grocer's): a few single-item top-ups, most bills a handful of
 * lines, and a monthly stock-up of 20–40 lines now and then — big baskets in hypermarkets,
 * top-ups in express stores. The decay lengths are assumed.
 */
function linesPerBill(singleShare: number, decay: number): WeightedSampler {
  const weights = Array.from({ length: MAX_BILL_LINES }, (_, i) =>
    i === 0 ? singleShare : (1 - singleShare) * Math.exp(-(i - 1) / decay),
  );
  return new WeightedSampler(weights);
}
const LINES_PER_BILL: Readonly<Record<StoreFormat, WeightedSampler>> = {
  hypermarket: linesPerBill(0.06, 9),
  supermarket: linesPerBill(0.1, 5),
  express: linesPerBill(0.35, 2),
};

/** UPI is the most common in-store payment (RETAIL.md); the shares are assumed. */
const TENDERS: readonly Tender[] = ['upi', 'cash', 'card', 'wallet', 'store_credit'];
const TENDER_SAMPLER = new WeightedSampler([48, 24, 18, 7, 3]);
const STORE_CREDIT = TENDERS.indexOf('store_credit');

const UNITS = [1, 2, 3, 4, 6] as const;
const UNITS_SAMPLER = new WeightedSampler([70, 20, 6, 3, 1]);

/** Bulky or dear goods (threshold ≤ 4: apparel, footwear, kitchen, electronics) sell singly. */
const SINGLE_UNIT_THRESHOLD = 4;

/** Lines on a promotion or member price (assumed; a US grocer discounts half its lines). */
const DISCOUNT_SHARE = 0.3;
const DISCOUNT_PCTS = [5, 10, 10, 15, 20, 25, 30, 40] as const;
const STORE_CREDIT_REFUND_SHARE = 0.3;
const WHOLE_BILL_RETURN_SHARE = 0.25;

/** A POS event for the store: mostly sales, about RETURN_SHARE returns. */
export function posTransaction(ctx: SimContext, st: StoreState): PosTransactionEvent | null {
  const draw = ctx.rng.float();
  if (st.bills.size > 0 && draw < RETURN_SHARE) return reverseBill(ctx, st, 'return');
  if (st.bills.size > 0 && draw < RETURN_SHARE + VOID_SHARE) return reverseBill(ctx, st, 'void');
  return sale(ctx, st);
}

function sale(ctx: SimContext, st: StoreState): PosTransactionEvent | null {
  const { rng } = ctx;
  const bills = st.bills;
  const billNo = st.nextBillNo();
  const slot = bills.open(billNo);
  const lineCount = LINES_PER_BILL[st.store.format].sample(rng) + 1;
  for (let l = 0; l < lineCount; l++) {
    const pos = findSellable(ctx, st, slot);
    if (pos >= 0) sellLine(ctx, st, slot, pos);
  }
  if (bills.lineCount(slot) === 0) {
    // Everything drawn was sold out: the shopper takes the first thing on the shelf instead.
    sellLine(ctx, st, slot, firstSellable(st, rng.int(0, st.assortment.skus.length - 1)));
  }
  const register = rng.int(1, st.registers);
  const cashier = rng.int(1, st.cashiers);
  const tender = TENDER_SAMPLER.sample(rng);
  bills.setTender(slot, tender);
  if (!ctx.emit) return null;
  const lines: PosLine[] = [];
  for (let i = 0; i < bills.lineCount(slot); i++) {
    lines.push(
      posLine(
        ctx,
        st,
        i,
        bills.pos(slot, i),
        bills.qty(slot, i),
        bills.price(slot, i),
        bills.discount(slot, i),
      ),
    );
  }
  return bill(ctx, st, billNo, register, cashier, 'sale', null, TENDERS[tender] as Tender, lines);
}

/**
 * Takes back a recent bill of the store: a return (some or all lines, some or all units, refunded
 * to the original tender or as store credit) or a void (the whole bill, at once, tender reversed).
 * Returned and voided goods go back on the shelf (damaged returns are a shrinkage counts find).
 */
function reverseBill(
  ctx: SimContext,
  st: StoreState,
  kind: 'return' | 'void',
): PosTransactionEvent | null {
  const { rng } = ctx;
  const bills = st.bills;
  const slot = rng.int(0, bills.size - 1);
  const count = bills.lineCount(slot);
  const whole = kind === 'void' || rng.chance(WHOLE_BILL_RETURN_SHARE);
  const first = whole ? 0 : rng.int(0, count - 1);
  const end = whole ? count : first + 1;
  const lines: PosLine[] | null = ctx.emit ? [] : null;
  for (let i = first; i < end; i++) {
    const pos = bills.pos(slot, i);
    const sold = bills.qty(slot, i);
    const qty = kind === 'void' ? sold : rng.int(1, sold);
    st.stock[pos] = (st.stock[pos] as number) + qty;
    const discount = Math.floor((bills.discount(slot, i) * qty) / sold);
    lines?.push(posLine(ctx, st, i - first, pos, qty, bills.price(slot, i), discount));
  }
  const original = billId(st.store.store_id, bills.billNo(slot));
  const originalTender = bills.tender(slot);
  bills.remove(slot);
  const register = rng.int(1, st.registers);
  const cashier = rng.int(1, st.cashiers);
  const tender =
    kind === 'return' && rng.chance(STORE_CREDIT_REFUND_SHARE) ? STORE_CREDIT : originalTender;
  const billNo = st.nextBillNo();
  if (lines === null) return null;
  return bill(ctx, st, billNo, register, cashier, kind, original, TENDERS[tender] as Tender, lines);
}

/** A popular slot with stock that is not already on the bill, or -1 after a few tries. */
function findSellable(ctx: SimContext, st: StoreState, slot: number): number {
  const { rng } = ctx;
  const demand = st.demandSampler(ctx.catalog, ctx.categoryLift, ctx.liftKey);
  for (let tries = 0; tries < 3; tries++) {
    const pos = demand.sample(rng);
    if (st.available(pos) > 0 && !st.bills.hasPos(slot, pos)) return pos;
  }
  return -1;
}

/** The first slot with stock at or after `start` (wrapping), or `start` if the store is empty. */
function firstSellable(st: StoreState, start: number): number {
  const n = st.assortment.skus.length;
  for (let k = 0; k < n; k++) {
    const pos = (start + k) % n;
    if (st.available(pos) > 0) return pos;
  }
  return start;
}

function sellLine(ctx: SimContext, st: StoreState, slot: number, pos: number): void {
  const { rng } = ctx;
  const index = st.assortment.skus[pos] as number;
  const single = (st.assortment.thresholds[pos] as number) <= SINGLE_UNIT_THRESHOLD;
  const wanted = single ? 1 : (UNITS[UNITS_SAMPLER.sample(rng)] as number);
  const qty = Math.max(1, Math.min(wanted, st.available(pos)));
  // The price in force when the bill is rung up (ERP price changes; never above MRP).
  const price = ctx.chain.price[index] as number;
  const discount = rng.chance(DISCOUNT_SHARE)
    ? Math.floor((qty * price * rng.pick(DISCOUNT_PCTS)) / 100)
    : 0;
  st.take(pos, qty);
  st.bills.addLine(slot, pos, qty, price, discount);
}

function posLine(
  ctx: SimContext,
  st: StoreState,
  index: number,
  pos: number,
  qty: number,
  unitPricePaise: number,
  discountPaise: number,
): PosLine {
  const sku = ctx.catalog[st.assortment.skus[pos] as number] as Sku;
  return {
    line_no: index + 1,
    sku: sku.sku,
    qty,
    unit_price_paise: unitPricePaise,
    discount_paise: discountPaise,
    gst_rate_pct: sku.gst_rate_pct,
  };
}

function bill(
  ctx: SimContext,
  st: StoreState,
  billNo: number,
  register: number,
  cashier: number,
  kind: PosTransactionEvent['kind'],
  originalBillId: string | null,
  tender: Tender,
  lines: PosLine[],
): PosTransactionEvent {
  const storeId = st.store.store_id;
  return {
    event_id: ctx.eventId,
    event_ts: ctx.eventTs,
    store_id: storeId,
    bill_id: billId(storeId, billNo),
    register_id: registerId(storeId, register),
    cashier_id: cashierId(storeId, cashier),
    kind,
    original_bill_id: originalBillId,
    tender,
    lines,
  };
}
