// The oracle: an independent, deliberately plain computation of gold.inventory_realtime from the
// accepted events, following docs/retail-events.md rules 1–11 literally. It shares no code
// with the SQL models, so when both agree the numbers can be trusted. Rules are cited inline.
//
// Input is assumed schema-valid (the registry guards every topic). What it still cannot read —
// an unparseable event_ts, a line without a SKU or integer quantity — it skips, because gold's
// silver layer quarantines the same records rather than guessing.

import { thresholdFor } from './catalog.js';
import { formatUtc, parseEventTs } from './ist-time.js';

export interface AcceptedEvent {
  topic: string;
  value: Record<string, unknown>;
  /** When the log accepted this copy, epoch ms. */
  acceptedAt: number;
}

export type InventoryStatus = 'UNKNOWN' | 'OVERSOLD' | 'LOW' | 'OK';

export interface InventoryRow {
  store_id: string;
  sku: string;
  counted_qty: number | null;
  /** ISO UTC `YYYY-MM-DDTHH:mm:ss.sssZ`, null if never counted. */
  counted_at: string | null;
  net_movement: number;
  projected_qty: number | null;
  reserved_qty: number;
  available_qty: number | null;
  status: InventoryStatus;
  last_event_at: string;
  last_accepted_at: string;
}

/** Row key of the result map. */
export function inventoryKey(storeId: string, sku: string): string {
  return `${storeId}|${sku}`;
}

interface Accumulator {
  store_id: string;
  sku: string;
  countMs: number;
  countEventId: string;
  countQty: number | null;
  /** Every movement as [event ms, signed qty]; which count they follow is known only at the end. */
  movements: number[];
  reserve: number;
  lastEventMs: number;
  lastAcceptedMs: number;
}

interface ProductMaster {
  ms: number;
  eventId: string;
  category: string | undefined;
}

/**
 * Computes gold.inventory_realtime from accepted events, in any order.
 *
 * @example
 * const rows = computeInventory(events); // Map { 'S0001|SKU00042' => { status: 'LOW', … } }
 */
export function computeInventory(events: Iterable<AcceptedEvent>): Map<string, InventoryRow> {
  // Rule 1: the first accepted copy of an event_id counts (earliest acceptedAt; on a tie, the
  // copy seen first).
  const firstCopies = new Map<string, AcceptedEvent>();
  for (const e of events) {
    const id = e.value.event_id;
    if (typeof id !== 'string') continue;
    const seen = firstCopies.get(id);
    if (seen === undefined || e.acceptedAt < seen.acceptedAt) firstCopies.set(id, e);
  }

  const products = new Map<string, ProductMaster>();
  // Two levels (store → sku) rather than one `${store}|${sku}` key: no string built per line.
  const rows = new Map<string, Map<string, Accumulator>>();
  let lastTsText = '';
  let lastTsMs: number | null = null;
  for (const [eventId, e] of firstCopies) {
    const v = e.value;
    // Rule 2: event time is event_ts as an instant, whatever the arrival order. Neighbouring
    // events often share a timestamp, so the last parse is reused.
    if (typeof v.event_ts !== 'string') continue;
    if (v.event_ts !== lastTsText) {
      lastTsText = v.event_ts;
      lastTsMs = parseEventTs(v.event_ts);
    }
    const ms = lastTsMs;
    if (ms === null) continue;
    if (e.topic === 'erp.products') {
      rememberProduct(products, v, eventId, ms);
      continue;
    }
    const storeId = v.store_id;
    if (typeof storeId !== 'string') continue;
    let storeRows = rows.get(storeId);
    if (storeRows === undefined) rows.set(storeId, (storeRows = new Map()));
    const touch = (sku: unknown): Accumulator | null => {
      if (typeof sku !== 'string' || sku === '') return null;
      const acc = row(storeRows, storeId, sku);
      // Rule 11: every event of the row counts, whichever side of the count it falls.
      acc.lastEventMs = Math.max(acc.lastEventMs, ms);
      acc.lastAcceptedMs = Math.max(acc.lastAcceptedMs, e.acceptedAt);
      return acc;
    };

    switch (e.topic) {
      case 'inventory.counts':
        for (const line of lines(v)) {
          const qty = line.counted_qty;
          const acc = isInt(qty) ? touch(line.sku) : null;
          // Rule 3: the count with the greatest event time is the last; ties go to the greater
          // event_id in string order. Lines of one event for the same SKU: the later line wins.
          if (
            acc !== null &&
            (ms > acc.countMs || (ms === acc.countMs && eventId >= acc.countEventId))
          ) {
            acc.countMs = ms;
            acc.countEventId = eventId;
            acc.countQty = qty as number;
          }
        }
        break;
      case 'pos.transactions': {
        // Rule 4: a sale takes goods out, a return or a void brings them back.
        const sign = v.kind === 'sale' ? -1 : v.kind === 'return' || v.kind === 'void' ? 1 : 0;
        if (sign === 0) break;
        for (const line of lines(v)) {
          const acc = isInt(line.qty) ? touch(line.sku) : null;
          acc?.movements.push(ms, sign * (line.qty as number));
        }
        break;
      }
      case 'logistics.shipments':
        // Rule 4: only a received shipment moves goods, by what arrived, not what left the DC.
        for (const line of lines(v)) {
          const acc = touch(line.sku);
          if (acc !== null && v.status === 'received' && isInt(line.qty_received)) {
            acc.movements.push(ms, line.qty_received as number);
          }
        }
        break;
      case 'inventory.transfers': {
        // Rule 4: a transfer moves goods out of the sender and into the receiver, each at its
        // own event's time.
        const sign = v.direction === 'out' ? -1 : v.direction === 'in' ? 1 : 0;
        if (sign === 0) break;
        for (const line of lines(v)) {
          const acc = isInt(line.qty) ? touch(line.sku) : null;
          acc?.movements.push(ms, sign * (line.qty as number));
        }
        break;
      }
      case 'orders.reservations': {
        const qty = v.qty;
        if (!isInt(qty)) break;
        const acc = touch(v.sku);
        if (acc === null) break;
        // Rule 8: reserve adds, release and fulfil take back; rule 4: fulfil also ships goods out.
        if (v.action === 'reserve') acc.reserve += qty;
        else if (v.action === 'release') acc.reserve -= qty;
        else if (v.action === 'fulfil') {
          acc.reserve -= qty;
          acc.movements.push(ms, -qty);
        }
        break;
      }
      default:
        break;
    }
  }

  const result = new Map<string, InventoryRow>();
  for (const storeRows of rows.values()) {
    for (const acc of storeRows.values())
      result.set(inventoryKey(acc.store_id, acc.sku), finish(acc, products));
  }
  return result;
}

function finish(acc: Accumulator, products: Map<string, ProductMaster>): InventoryRow {
  const counted = acc.countQty !== null;
  // Rule 6: movements strictly after the count (all of them if never counted).
  let net = 0;
  const m = acc.movements;
  for (let i = 0; i < m.length; i += 2) {
    if (!counted || (m[i] as number) > acc.countMs) net += m[i + 1] as number;
  }
  // Rules 5, 7, 8, 9.
  const projected = counted ? (acc.countQty as number) + net : null;
  const reserved = Math.max(0, acc.reserve);
  const available = projected === null ? null : projected - reserved;
  // Rule 10: a SKU that was never counted is UNKNOWN, not OK; an unknown SKU gets `default`.
  const threshold = thresholdFor(products.get(acc.sku)?.category);
  const status =
    available === null
      ? 'UNKNOWN'
      : available < 0
        ? 'OVERSOLD'
        : available <= threshold
          ? 'LOW'
          : 'OK';
  return {
    store_id: acc.store_id,
    sku: acc.sku,
    counted_qty: acc.countQty,
    counted_at: counted ? formatUtc(acc.countMs) : null,
    net_movement: net,
    projected_qty: projected,
    reserved_qty: reserved,
    available_qty: available,
    status,
    last_event_at: formatUtc(acc.lastEventMs),
    last_accepted_at: formatUtc(acc.lastAcceptedMs),
  };
}

/**
 * The product master wins by event time like a count does (greatest event_ts, then greater
 * event_id): the contract leaves this open, and "latest known" is what a store manager expects.
 */
function rememberProduct(
  products: Map<string, ProductMaster>,
  v: Record<string, unknown>,
  eventId: string,
  ms: number,
): void {
  if (typeof v.sku !== 'string') return;
  const seen = products.get(v.sku);
  if (seen !== undefined && (ms < seen.ms || (ms === seen.ms && eventId < seen.eventId))) return;
  products.set(v.sku, {
    ms,
    eventId,
    category: typeof v.category === 'string' ? v.category : undefined,
  });
}

function row(storeRows: Map<string, Accumulator>, storeId: string, sku: string): Accumulator {
  let acc = storeRows.get(sku);
  if (acc === undefined) {
    acc = {
      store_id: storeId,
      sku,
      countMs: -Infinity,
      countEventId: '',
      countQty: null,
      movements: [],
      reserve: 0,
      lastEventMs: -Infinity,
      lastAcceptedMs: -Infinity,
    };
    storeRows.set(sku, acc);
  }
  return acc;
}

function lines(v: Record<string, unknown>): Record<string, unknown>[] {
  const l = v.lines;
  return Array.isArray(l)
    ? l.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null)
    : [];
}

function isInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x);
}
