import { describe, expect, it } from 'vitest';
import type { AcceptedEvent } from './oracle.js';
import { computeShipments } from './shipments-oracle.js';

const ev = (
  id: string,
  ts: string,
  status: string,
  lines: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
  acceptedAt = 0,
): AcceptedEvent => ({
  topic: 'logistics.shipments',
  acceptedAt,
  value: {
    event_id: id,
    event_ts: ts,
    store_id: 'S0001',
    shipment_id: 'SH1',
    dc_id: 'DC1',
    status,
    lines,
    ...extra,
  },
});

const sent = [
  { sku: 'A', qty_dispatched: 10, qty_received: null },
  { sku: 'B', qty_dispatched: 5, qty_received: null },
];

describe('the shipments oracle', () => {
  it('follows a shipment to its receipt, with shrinkage and delay, whatever the arrival order', () => {
    const events = [
      // received arrives first (late delivery of the earlier events)
      ev('e4', '2026-11-25T18:00:00+05:30', 'received', [
        { sku: 'A', qty_dispatched: 10, qty_received: 9 },
        { sku: 'B', qty_dispatched: 5, qty_received: 5 },
      ]),
      ev('e1', '2026-11-25T08:00:00+05:30', 'dispatched', sent, {
        eta: '2026-11-25T14:00:00+05:30',
      }),
      ev('e3', '2026-11-25T13:00:00+05:30', 'delayed', sent, { eta: '2026-11-25T17:00:00+05:30' }),
      ev('e2', '2026-11-25T10:00:00+05:30', 'in_transit', sent, {
        eta: '2026-11-25T14:00:00+05:30',
      }),
      // a duplicate copy, and an invalid event (bad status): ignored
      ev('e3', '2026-11-25T13:00:00+05:30', 'delayed', sent, {}, 9),
      ev('e5', '2026-11-25T19:00:00+05:30', 'lost', sent),
    ];
    expect(computeShipments(events).get('S0001|SH1')).toEqual({
      store_id: 'S0001',
      shipment_id: 'SH1',
      dc_id: 'DC1',
      status: 'received',
      dispatched_at: '2026-11-25T02:30:00.000Z',
      eta: '2026-11-25T11:30:00.000Z',
      received_at: '2026-11-25T12:30:00.000Z',
      units_dispatched: 15,
      units_received: 14,
      shrinkage_units: 1,
      was_delayed: true,
      incoming: false,
      last_event_at: '2026-11-25T12:30:00.000Z',
    });
  });

  it('an incoming shipment has no receipt and no shrinkage yet', () => {
    const row = computeShipments([ev('e1', '2026-11-25T08:00:00+05:30', 'dispatched', sent)]).get(
      'S0001|SH1',
    );
    expect(row).toMatchObject({
      incoming: true,
      units_received: null,
      shrinkage_units: null,
      was_delayed: false,
    });
  });
});
