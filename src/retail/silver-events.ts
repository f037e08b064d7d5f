// What silver holds, read straight from the accepted events for the store-health and forecast
// oracles: the first accepted copy of each event id per topic, only events valid as a whole (the
// rules of reject_reason in project/macros/bronze.sql, written again here on purpose: the
// oracles share no code with the SQL), and the latest store and product master records.

import { parseEventTs } from './ist-time.js';
import type { AcceptedEvent } from './oracle.js';

/** POS kinds silver takes. A void cancels lines of a sale (demand counts it as a negative sale). */
export const POS_KINDS = ['sale', 'return', 'void'] as const;
export type PosKind = (typeof POS_KINDS)[number];

export interface PosEvent {
  storeId: string;
  /** Null when the event has none (count(distinct) skips it). */
  billId: string | null;
  kind: PosKind;
  /** Event time, epoch ms. */
  ms: number;
  acceptedAt: number;
  lines: { sku: string; qty: number }[];
}

/** A count, reservation or shipment event: only when and where it happened matters here. */
export interface StoreEvent {
  storeId: string;
  ms: number;
  acceptedAt: number;
}

export interface StoreMaster {
  store_id: string;
  name: string | null;
  city: string | null;
  region: string | null;
  format: string | null;
  opens: string | null;
  closes: string | null;
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
const text = (x: unknown): string | null => (typeof x === 'string' ? x : null);
const objects = (x: unknown): Record<string, unknown>[] | null =>
  Array.isArray(x) && x.length > 0
    ? x.map((l) => (typeof l === 'object' && l !== null ? (l as Record<string, unknown>) : {}))
    : null;

/** The first accepted copy of every event id of `topic` (silver's first_copy and anti-join). */
function firstCopies(events: Iterable<AcceptedEvent>, topic: string): AcceptedEvent[] {
  const first = new Map<string, AcceptedEvent>();
  for (const e of events) {
    if (e.topic !== topic) continue;
    const id = e.value.event_id;
    if (typeof id !== 'string') continue;
    const seen = first.get(id);
    if (seen === undefined || e.acceptedAt < seen.acceptedAt) first.set(id, e);
  }
  return [...first.values()];
}

/** Store and time of an event, or null when silver would reject it for either. */
function envelope(e: AcceptedEvent): { storeId: string; ms: number } | null {
  const v = e.value;
  const storeId = text(v.store_id);
  const ms = typeof v.event_ts === 'string' ? parseEventTs(v.event_ts) : null;
  return storeId === null || ms === null ? null : { storeId, ms };
}

/** POS events silver keeps: a known kind and lines that all name a SKU with a qty of at least 1. */
export function silverPos(events: Iterable<AcceptedEvent>): PosEvent[] {
  const out: PosEvent[] = [];
  for (const e of firstCopies(events, 'pos.transactions')) {
    const env = envelope(e);
    const kind = e.value.kind;
    const lines = objects(e.value.lines);
    if (env === null || lines === null) continue;
    if (!(POS_KINDS as readonly unknown[]).includes(kind)) continue;
    if (lines.some((l) => typeof l.sku !== 'string' || !isInt(l.qty) || l.qty < 1)) continue;
    out.push({
      ...env,
      billId: text(e.value.bill_id),
      kind: kind as PosKind,
      acceptedAt: e.acceptedAt,
      lines: lines.map((l) => ({ sku: l.sku as string, qty: l.qty as number })),
    });
  }
  return out;
}

/** Count, reservation and shipment events silver keeps. */
export function silverStoreEvents(events: AcceptedEvent[]): StoreEvent[] {
  const valid: Record<string, (v: Record<string, unknown>) => boolean> = {
    'inventory.counts': (v) =>
      objects(v.lines)?.every(
        (l) => typeof l.sku === 'string' && isInt(l.counted_qty) && l.counted_qty >= 0,
      ) ?? false,
    'orders.reservations': (v) =>
      typeof v.sku === 'string' &&
      ['reserve', 'release', 'fulfil'].includes(String(v.action)) &&
      isInt(v.qty) &&
      v.qty >= 1,
    'logistics.shipments': (v) =>
      ['dispatched', 'in_transit', 'delayed', 'received'].includes(String(v.status)) &&
      (objects(v.lines)?.every((l) => typeof l.sku === 'string') ?? false),
  };
  const out: StoreEvent[] = [];
  for (const [topic, ok] of Object.entries(valid)) {
    for (const e of firstCopies(events, topic)) {
      const env = envelope(e);
      if (env !== null && ok(e.value)) out.push({ ...env, acceptedAt: e.acceptedAt });
    }
  }
  return out;
}

/**
 * The latest master record per key (silver.stores, silver.products): greatest event time, then
 * greatest event id; a record without a readable time loses to every record with one.
 */
function latestMaster(
  events: AcceptedEvent[],
  topic: string,
  keyField: string,
): Map<string, Record<string, unknown>> {
  const latest = new Map<string, { ms: number; id: string; value: Record<string, unknown> }>();
  for (const e of events) {
    if (e.topic !== topic) continue;
    const key = text(e.value[keyField]);
    if (key === null) continue;
    const ms =
      (typeof e.value.event_ts === 'string' ? parseEventTs(e.value.event_ts) : null) ?? -Infinity;
    const id = String(e.value.event_id ?? '');
    const seen = latest.get(key);
    if (seen && (ms < seen.ms || (ms === seen.ms && id <= seen.id))) continue;
    latest.set(key, { ms, id, value: e.value });
  }
  return new Map([...latest].map(([k, r]) => [k, r.value]));
}

/** The store master: every store with its latest record. */
export function storeMaster(events: AcceptedEvent[]): Map<string, StoreMaster> {
  const out = new Map<string, StoreMaster>();
  for (const [id, v] of latestMaster(events, 'erp.stores', 'store_id')) {
    out.set(id, {
      store_id: id,
      name: text(v.name),
      city: text(v.city),
      region: text(v.region),
      format: text(v.format),
      opens: text(v.opens),
      closes: text(v.closes),
    });
  }
  return out;
}

/** Each SKU's category in the latest product master record (null when the record has none). */
export function productCategories(events: AcceptedEvent[]): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const [sku, v] of latestMaster(events, 'erp.products', 'sku'))
    out.set(sku, text(v.category));
  return out;
}

/**
 * The chain's own clock: the latest POS event time anywhere in the chain (`watermark`) and the
 * earliest (`first`), epoch ms; null when no POS event is valid. Late events and skewed store
 * clocks count like any other: the max is what it is.
 */
export function chainClock(pos: PosEvent[]): { watermark: number; first: number } | null {
  if (pos.length === 0) return null;
  let watermark = -Infinity;
  let first = Infinity;
  for (const p of pos) {
    if (p.ms > watermark) watermark = p.ms;
    if (p.ms < first) first = p.ms;
  }
  return { watermark, first };
}

export { DAY_MS, HOUR_MS, IST_OFFSET_MS } from './ist-time.js';
