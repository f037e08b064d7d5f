// The sales oracle: gold's sales marts computed plainly from the accepted events, sharing no code
// with the SQL models (docs/retail-events.md, "Sales semantics"). Rules are cited inline.

import type { AcceptedEvent } from './oracle.js';
import { parseEventTs } from './ist-time.js';

/** IST is UTC+05:30 all year (no daylight saving), so local time is a fixed shift. */
const IST_OFFSET_MS = 330 * 60_000;
const HOUR_MS = 3_600_000;

export interface SalesTotals {
  bills: number;
  units_sold: number;
  units_returned: number;
  sales_paise: number;
  returns_paise: number;
  units_voided: number;
  voids_paise: number;
  net_sales_paise: number;
}

export interface StoreHourSales extends SalesTotals {
  store_id: string;
  /** The IST calendar date, `YYYY-MM-DD`. */
  date_ist: string;
  /** The IST hour of day, 0–23. */
  hour_ist: number;
}

export interface CategoryDaySales extends Omit<SalesTotals, 'bills'> {
  date_ist: string;
  /** The product master's category, or `unknown` when the master does not know the SKU. */
  category: string;
}

interface Line {
  sku: string;
  qty: number;
  amount: number;
}

interface Bill {
  storeId: string;
  /** Null when the event has none (it then counts in no bill total, as count(distinct) skips it). */
  billId: string | null;
  kind: 'sale' | 'return' | 'void';
  ms: number;
  lines: Line[];
}

function isInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x);
}

/**
 * Rule S1: the first accepted copy of each event_id; rule S2: a POS event counts only when every
 * line has a SKU and a quantity of at least 1 (silver quarantines the whole event otherwise).
 */
function validBills(events: Iterable<AcceptedEvent>): Bill[] {
  const first = new Map<string, AcceptedEvent>();
  for (const e of events) {
    if (e.topic !== 'pos.transactions') continue;
    const id = e.value.event_id;
    if (typeof id !== 'string') continue;
    const seen = first.get(id);
    if (seen === undefined || e.acceptedAt < seen.acceptedAt) first.set(id, e);
  }
  const bills: Bill[] = [];
  for (const e of first.values()) {
    const v = e.value;
    if (typeof v.event_ts !== 'string' || typeof v.store_id !== 'string') continue;
    const ms = parseEventTs(v.event_ts);
    if (ms === null) continue;
    if (v.kind !== 'sale' && v.kind !== 'return' && v.kind !== 'void') continue;
    if (!Array.isArray(v.lines) || v.lines.length === 0) continue;
    const lines: Line[] = [];
    let valid = true;
    for (const raw of v.lines as unknown[]) {
      const l = (raw ?? {}) as Record<string, unknown>;
      if (typeof l.sku !== 'string' || !isInt(l.qty) || l.qty < 1) {
        valid = false;
        break;
      }
      const price = isInt(l.unit_price_paise) ? l.unit_price_paise : 0;
      const discount = isInt(l.discount_paise) ? l.discount_paise : 0;
      // Rule S3: a line's amount is qty × unit price − discount (paise, GST included).
      lines.push({ sku: l.sku, qty: l.qty, amount: l.qty * price - discount });
    }
    if (!valid) continue;
    const billId = typeof v.bill_id === 'string' ? v.bill_id : null;
    bills.push({ storeId: v.store_id, billId, kind: v.kind, ms, lines });
  }
  return bills;
}

/** Rule S4: the IST date and hour an instant falls in. */
export function istHour(ms: number): { date: string; hour: number } {
  const local = new Date(ms + IST_OFFSET_MS);
  return {
    date: local.toISOString().slice(0, 10),
    hour: Math.floor((((ms + IST_OFFSET_MS) % (24 * HOUR_MS)) + 24 * HOUR_MS) / HOUR_MS) % 24,
  };
}

function emptyTotals(): SalesTotals {
  return {
    bills: 0,
    units_sold: 0,
    units_returned: 0,
    sales_paise: 0,
    returns_paise: 0,
    units_voided: 0,
    voids_paise: 0,
    net_sales_paise: 0,
  };
}

function add(t: Omit<SalesTotals, 'bills'>, bill: Bill, lines: Line[]): void {
  for (const l of lines) {
    if (bill.kind === 'sale') {
      t.units_sold += l.qty;
      t.sales_paise += l.amount;
    } else if (bill.kind === 'return') {
      t.units_returned += l.qty;
      t.returns_paise += l.amount;
    } else {
      t.units_voided += l.qty;
      t.voids_paise += l.amount;
    }
  }
  // Rule S5: a void cancels its sale, so it comes off net sales like a return.
  t.net_sales_paise = t.sales_paise - t.returns_paise - t.voids_paise;
}

/** gold.sales_by_store_hour: per store and IST hour; bills = distinct sale bill ids. */
export function computeSalesByStoreHour(
  events: Iterable<AcceptedEvent>,
): Map<string, StoreHourSales> {
  const out = new Map<string, StoreHourSales>();
  const billsSeen = new Map<string, Set<string>>();
  for (const bill of validBills(events)) {
    const { date, hour } = istHour(bill.ms);
    const key = `${bill.storeId}|${date}|${hour}`;
    let row = out.get(key);
    if (!row) {
      row = { store_id: bill.storeId, date_ist: date, hour_ist: hour, ...emptyTotals() };
      out.set(key, row);
      billsSeen.set(key, new Set());
    }
    add(row, bill, bill.lines);
    // Rule S5: bills counts sales, each bill id once.
    if (bill.kind === 'sale' && bill.billId !== null) billsSeen.get(key)!.add(bill.billId);
    row.bills = billsSeen.get(key)!.size;
  }
  return out;
}

/**
 * gold.sales_by_category_day: per IST date and the SKU's category in the latest product master
 * (greatest event_ts, then greater event_id, as the inventory oracle reads the master).
 */
export function computeSalesByCategoryDay(events: AcceptedEvent[]): Map<string, CategoryDaySales> {
  const master = new Map<string, { ms: number; id: string; category: string | null }>();
  for (const e of events) {
    if (e.topic !== 'erp.products') continue;
    const v = e.value;
    if (typeof v.sku !== 'string' || typeof v.event_ts !== 'string') continue;
    const ms = parseEventTs(v.event_ts);
    if (ms === null) continue;
    const id = String(v.event_id ?? '');
    const seen = master.get(v.sku);
    if (seen && (ms < seen.ms || (ms === seen.ms && id < seen.id))) continue;
    master.set(v.sku, { ms, id, category: typeof v.category === 'string' ? v.category : null });
  }
  const out = new Map<string, CategoryDaySales>();
  for (const bill of validBills(events)) {
    const { date } = istHour(bill.ms);
    for (const line of bill.lines) {
      const category = master.get(line.sku)?.category ?? 'unknown';
      const key = `${date}|${category}`;
      let row = out.get(key);
      if (!row) {
        const { bills: _b, ...totals } = emptyTotals();
        row = { date_ist: date, category, ...totals };
        out.set(key, row);
      }
      add(row, bill, [line]);
    }
  }
  return out;
}
