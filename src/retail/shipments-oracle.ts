// The shipments oracle: gold.shipments computed plainly from the accepted events, sharing no
// code with the SQL model (docs/retail-events.md, "Shipment semantics").

import { formatUtc, parseEventTs } from './ist-time.js';
import type { AcceptedEvent } from './oracle.js';

export interface ShipmentRow {
  store_id: string;
  shipment_id: string;
  dc_id: string | null;
  status: string;
  dispatched_at: string | null;
  eta: string | null;
  received_at: string | null;
  units_dispatched: number;
  units_received: number | null;
  shrinkage_units: number | null;
  was_delayed: boolean;
  incoming: boolean;
  last_event_at: string;
}

const STATUSES = new Set(['dispatched', 'in_transit', 'delayed', 'received']);

interface ShipmentEventSeen {
  id: string;
  ms: number;
  status: string;
  dcId: string | null;
  etaMs: number | null;
  dispatched: number;
  received: number | null;
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);

/** gold.shipments, keyed `store_id|shipment_id`. */
export function computeShipments(events: Iterable<AcceptedEvent>): Map<string, ShipmentRow> {
  // H1: the first accepted copy of each event_id, valid as silver reads it.
  const first = new Map<string, AcceptedEvent>();
  for (const e of events) {
    if (e.topic !== 'logistics.shipments') continue;
    const id = e.value.event_id;
    if (typeof id !== 'string') continue;
    const seen = first.get(id);
    if (seen === undefined || e.acceptedAt < seen.acceptedAt) first.set(id, e);
  }
  const byShipment = new Map<
    string,
    { store: string; shipment: string; events: ShipmentEventSeen[] }
  >();
  for (const [id, e] of first) {
    const v = e.value;
    if (typeof v.store_id !== 'string' || typeof v.event_ts !== 'string') continue;
    const ms = parseEventTs(v.event_ts);
    if (ms === null || typeof v.status !== 'string' || !STATUSES.has(v.status)) continue;
    if (!Array.isArray(v.lines) || v.lines.length === 0) continue;
    const lines = v.lines as Record<string, unknown>[];
    if (lines.some((l) => typeof l?.sku !== 'string')) continue;
    const shipmentId = typeof v.shipment_id === 'string' ? v.shipment_id : null;
    if (shipmentId === null) continue;
    let dispatched = 0;
    let received: number | null = null;
    for (const l of lines) {
      if (isInt(l.qty_dispatched)) dispatched += l.qty_dispatched;
      if (isInt(l.qty_received)) received = (received ?? 0) + l.qty_received;
    }
    const eta = typeof v.eta === 'string' ? parseEventTs(v.eta) : null;
    const key = `${v.store_id}|${shipmentId}`;
    let s = byShipment.get(key);
    if (!s) byShipment.set(key, (s = { store: v.store_id, shipment: shipmentId, events: [] }));
    s.events.push({
      id,
      ms,
      status: v.status,
      dcId: typeof v.dc_id === 'string' ? v.dc_id : null,
      etaMs: eta,
      dispatched,
      received,
    });
  }
  const out = new Map<string, ShipmentRow>();
  for (const [key, s] of byShipment) {
    // H2: events in order of time, then event_id; the latest gives status and what was sent.
    const evs = s.events.sort((a, b) => a.ms - b.ms || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const latest = evs[evs.length - 1]!;
    const ofStatus = (st: string) => evs.filter((e) => e.status === st);
    const dispatchedAt = ofStatus('dispatched')[0]?.ms ?? null;
    const receivedEvents = ofStatus('received');
    const receivedAt = receivedEvents[0]?.ms ?? null;
    // H3: units received add up over received events (lines without qty_received count nothing).
    let unitsReceived: number | null = null;
    for (const e of receivedEvents)
      if (e.received !== null) unitsReceived = (unitsReceived ?? 0) + e.received;
    // H4: the eta is the latest one announced.
    const withEta = evs.filter((e) => e.etaMs !== null);
    const eta = withEta.length > 0 ? withEta[withEta.length - 1]!.etaMs : null;
    out.set(key, {
      store_id: s.store,
      shipment_id: s.shipment,
      dc_id: latest.dcId,
      status: latest.status,
      dispatched_at: dispatchedAt === null ? null : formatUtc(dispatchedAt),
      eta: eta === null ? null : formatUtc(eta),
      received_at: receivedAt === null ? null : formatUtc(receivedAt),
      units_dispatched: latest.dispatched,
      units_received: unitsReceived,
      // H5: shrinkage = dispatched − received, once received.
      shrinkage_units: unitsReceived === null ? null : latest.dispatched - unitsReceived,
      was_delayed: evs.some((e) => e.status === 'delayed'),
      incoming: latest.status !== 'received',
      last_event_at: formatUtc(latest.ms),
    });
  }
  return out;
}
