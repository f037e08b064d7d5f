import { describe, expect, it } from 'vitest';
import { computeInventory, inventoryKey, type AcceptedEvent, type InventoryRow } from './oracle.js';
import { Prng, shuffle } from './prng.js';
import { Simulator } from './simulator.js';
import { computeStoreSummary } from './store-summary.js';

// Hand-written cases for docs/retail-events.md rules 1–11. Times are IST on 2026-11-24, so
// 10:00 IST is 04:30 UTC. acceptedAt is in ms; it only matters for rule 1 and rule 11.

const ist = (hhmmss: string) => `2026-11-24T${hhmmss}.000+05:30`;
const utc = (hhmmss: string) => `2026-11-24T${hhmmss}.000Z`;
const accepted = (hhmmss: string) => Date.parse(utc(hhmmss));

let acceptClock = Date.parse('2026-11-24T12:00:00.000Z');
/** Events accepted in the order built, one second apart, unless a time is given. */
function at<T extends Record<string, unknown>>(
  topic: string,
  value: T,
  acceptedAt = (acceptClock += 1000),
): AcceptedEvent {
  return { topic, value, acceptedAt };
}

const product = (id: string, time: string, sku: string, category: string) =>
  at('erp.products', {
    event_id: id,
    event_ts: ist(time),
    sku,
    name: sku,
    category,
    pack_size: 1,
    unit: 'pc',
    mrp_paise: 100,
    gst_rate_pct: 5,
  });

const count = (
  id: string,
  time: string,
  lines: [string, number][],
  store = 'S0001',
  acceptedAt?: number,
) =>
  at(
    'inventory.counts',
    {
      event_id: id,
      event_ts: time.includes('T') ? time : ist(time),
      store_id: store,
      count_id: `C-${id}`,
      count_type: 'cycle',
      lines: lines.map(([sku, counted_qty]) => ({ sku, counted_qty })),
    },
    acceptedAt,
  );

const pos = (
  id: string,
  time: string,
  kind: 'sale' | 'return' | 'void',
  lines: [string, number][],
  store = 'S0001',
  acceptedAt?: number,
) =>
  at(
    'pos.transactions',
    {
      event_id: id,
      event_ts: ist(time),
      store_id: store,
      bill_id: `B-${id}`,
      register_id: 'R1',
      cashier_id: 'E1',
      kind,
      original_bill_id: kind === 'sale' ? null : 'B-0',
      tender: 'upi',
      lines: lines.map(([sku, qty], i) => ({
        line_no: i + 1,
        sku,
        qty,
        unit_price_paise: 1000,
        discount_paise: 0,
        gst_rate_pct: 5,
      })),
    },
    acceptedAt,
  );

const sale = (
  id: string,
  time: string,
  lines: [string, number][],
  store = 'S0001',
  acceptedAt?: number,
) => pos(id, time, 'sale', lines, store, acceptedAt);

const shipment = (
  id: string,
  time: string,
  status: string,
  lines: [string, number, number | null][],
) =>
  at('logistics.shipments', {
    event_id: id,
    event_ts: ist(time),
    store_id: 'S0001',
    shipment_id: 'SHP-1',
    dc_id: 'DC01',
    status,
    eta: null,
    lines: lines.map(([sku, qty_dispatched, qty_received]) => ({
      sku,
      qty_dispatched,
      qty_received,
    })),
  });

const reservation = (
  id: string,
  time: string,
  action: string,
  sku: string,
  qty: number,
  rid = 'R-1',
) =>
  at('orders.reservations', {
    event_id: id,
    event_ts: ist(time),
    store_id: 'S0001',
    reservation_id: rid,
    order_id: `O-${rid}`,
    action,
    sku,
    qty,
  });

function rowOf(events: AcceptedEvent[], sku = 'A', store = 'S0001'): InventoryRow {
  const row = computeInventory(events).get(inventoryKey(store, sku));
  if (row === undefined) throw new Error(`no row for ${store}|${sku}`);
  return row;
}

describe('computeInventory: counts and movements', () => {
  it('a sale after a count comes off the counted quantity', () => {
    const r = rowOf([
      product('p', '08:00:00', 'A', 'staples'),
      count('c', '10:00:00', [['A', 50]]),
      sale('s', '10:05:00', [['A', 3]]),
    ]);
    expect(r).toEqual({
      store_id: 'S0001',
      sku: 'A',
      counted_qty: 50,
      counted_at: utc('04:30:00'),
      net_movement: -3,
      projected_qty: 47,
      reserved_qty: 0,
      available_qty: 47,
      status: 'OK',
      last_event_at: utc('04:35:00'),
      last_accepted_at: new Date(acceptClock).toISOString(),
    });
  });

  it('a sale before the count is already in the count and is ignored', () => {
    const r = rowOf([sale('s', '09:00:00', [['A', 5]]), count('c', '10:00:00', [['A', 40]])]);
    expect(r).toMatchObject({ counted_qty: 40, net_movement: 0, projected_qty: 40 });
    expect(r.last_event_at).toBe(utc('04:30:00'));
  });

  it('a sale at exactly the count time is not after it (strictly after only)', () => {
    // Same instant written with two offsets.
    const r = rowOf([
      count('c', '2026-11-24T04:30:00.000Z', [['A', 40]]),
      sale('s', '10:00:00', [['A', 5]]),
    ]);
    expect(r).toMatchObject({ net_movement: 0, projected_qty: 40 });
  });

  it('a late sale (arriving after later events, with an old time) counts by its event time', () => {
    const events = [
      count('c1', '10:00:00', [['A', 30]]),
      sale('s1', '11:00:00', [['A', 2]]),
      sale('late', '10:30:00', [['A', 4]]), // arrives last but happened between the two
    ];
    const r = rowOf(events);
    expect(r).toMatchObject({ counted_qty: 30, net_movement: -6, projected_qty: 24 });
    expect(r.last_event_at).toBe(utc('05:30:00')); // greatest event time, not the late arrival's
    expect(r.last_accepted_at).toBe(new Date(events[2]!.acceptedAt).toISOString());
  });

  it('a late sale older than the last count changes nothing but the accept time', () => {
    const early = [count('c1', '10:00:00', [['A', 30]]), sale('s1', '10:30:00', [['A', 2]])];
    const late = sale('late', '09:00:00', [['A', 4]]);
    const r = rowOf([...early, late]);
    expect(r).toMatchObject({
      net_movement: -2,
      projected_qty: 28,
      last_event_at: utc('05:00:00'),
    });
    expect(r.last_accepted_at).toBe(new Date(late.acceptedAt).toISOString());
  });

  it('a late count restates the shelf: only movements after its time remain', () => {
    const r = rowOf([
      count('c1', '09:00:00', [['A', 100]]),
      sale('s1', '09:30:00', [['A', 10]]),
      sale('s2', '10:30:00', [['A', 1]]),
      count('c2', '10:00:00', [['A', 85]]), // entered late; counted between the two sales
    ]);
    expect(r).toMatchObject({
      counted_qty: 85,
      counted_at: utc('04:30:00'),
      net_movement: -1,
      projected_qty: 84,
    });
  });

  it('an older count arriving late does not replace a newer one', () => {
    const r = rowOf([count('c2', '11:00:00', [['A', 60]]), count('c1', '10:00:00', [['A', 99]])]);
    expect(r).toMatchObject({ counted_qty: 60, counted_at: utc('05:30:00') });
  });

  it('two counts at the same time: the greater event_id wins, in string order, whatever the arrival', () => {
    const a = count('sim-1-10', '10:00:00', [['A', 10]]);
    const b = count('sim-1-9', '10:00:00', [['A', 20]]);
    // 'sim-1-9' > 'sim-1-10' as strings.
    expect(rowOf([a, b]).counted_qty).toBe(20);
    expect(rowOf([b, a]).counted_qty).toBe(20);
  });

  it('returns add, received shipments add what arrived, other statuses move nothing', () => {
    const r = rowOf([
      count('c', '10:00:00', [['A', 10]]),
      pos('r', '10:10:00', 'return', [['A', 2]]),
      shipment('d', '10:20:00', 'dispatched', [['A', 24, null]]),
      shipment('t', '10:30:00', 'in_transit', [['A', 24, null]]),
      shipment('y', '10:40:00', 'delayed', [['A', 24, null]]),
      shipment('v', '10:50:00', 'received', [['A', 24, 21]]),
    ]);
    expect(r).toMatchObject({
      net_movement: 23,
      projected_qty: 33,
      last_event_at: utc('05:20:00'),
    });
  });
});

describe('computeInventory: voids and transfers', () => {
  const transfer = (
    id: string,
    time: string,
    store: string,
    direction: 'out' | 'in',
    lines: [string, number][],
  ) =>
    at('inventory.transfers', {
      event_id: id,
      event_ts: ist(time),
      store_id: store,
      transfer_id: 'TRF-1',
      direction,
      other_store_id: store === 'S0001' ? 'S0002' : 'S0001',
      lines: lines.map(([sku, qty]) => ({ sku, qty })),
    });

  it("a void puts a bill's units back like a return", () => {
    const r = rowOf([
      count('c', '10:00:00', [['A', 10]]),
      sale('s', '10:05:00', [['A', 4]]),
      pos('v', '10:06:00', 'void', [['A', 4]]),
    ]);
    expect(r).toMatchObject({ net_movement: 0, projected_qty: 10 });
  });

  it('a transfer leaves the sender at its out and reaches the receiver at its in', () => {
    const events = [
      count('c1', '10:00:00', [['A', 30]], 'S0001'),
      count('c2', '10:00:00', [['A', 5]], 'S0002'),
      transfer('o', '10:10:00', 'S0001', 'out', [['A', 12]]),
      // The receiving store counts while the goods are on the road: they are on neither shelf.
      count('c3', '11:00:00', [['A', 5]], 'S0002'),
      transfer('i', '12:00:00', 'S0002', 'in', [['A', 12]]),
    ];
    const rows = computeInventory(events);
    expect(rows.get(inventoryKey('S0001', 'A'))).toMatchObject({
      net_movement: -12,
      projected_qty: 18,
    });
    expect(rows.get(inventoryKey('S0002', 'A'))).toMatchObject({
      counted_qty: 5,
      net_movement: 12,
      projected_qty: 17,
    });
  });
});

describe('computeInventory: duplicates', () => {
  it('a duplicate delivery is counted once', () => {
    const c = count('c', '10:00:00', [['A', 50]]);
    const s = sale('s', '10:05:00', [['A', 3]]);
    const dup = { ...s, acceptedAt: s.acceptedAt + 60_000 };
    const r = rowOf([c, s, dup]);
    expect(r).toMatchObject({ net_movement: -3, projected_qty: 47 });
    // The duplicate is not an event of the row: its accept time does not count either.
    expect(r.last_accepted_at).toBe(new Date(s.acceptedAt).toISOString());
  });

  it('the first accepted copy counts even if a later copy is iterated first', () => {
    const first = sale('s', '10:05:00', [['A', 3]], 'S0001', accepted('06:00:00'));
    const second = sale('s', '10:05:00', [['A', 3]], 'S0001', accepted('07:00:00'));
    const r = rowOf([
      count('c', '10:00:00', [['A', 50]], 'S0001', accepted('05:00:00')),
      second,
      first,
    ]);
    expect(r).toMatchObject({ net_movement: -3, last_accepted_at: utc('06:00:00') });
  });

  it('a duplicated count is one count', () => {
    const c = count('c', '10:00:00', [['A', 50]]);
    expect(rowOf([c, { ...c }, sale('s', '10:01:00', [['A', 1]])]).projected_qty).toBe(49);
  });
});

describe('computeInventory: reservations', () => {
  it('reserve, release and fulfil: reserved is what is still promised; fulfil also ships out', () => {
    const r = rowOf([
      product('p', '08:00:00', 'A', 'electronics'),
      count('c', '10:00:00', [['A', 20]]),
      reservation('r1', '10:01:00', 'reserve', 'A', 5, 'R-1'),
      reservation('r2', '10:02:00', 'reserve', 'A', 3, 'R-2'),
      reservation('r3', '10:03:00', 'release', 'A', 3, 'R-2'),
      reservation('r4', '10:04:00', 'fulfil', 'A', 2, 'R-1'),
    ]);
    expect(r).toMatchObject({
      net_movement: -2,
      projected_qty: 18,
      reserved_qty: 3,
      available_qty: 15,
      status: 'OK',
    });
  });

  it('reservations count over all time, also before the count', () => {
    const r = rowOf([
      reservation('r1', '09:00:00', 'reserve', 'A', 4),
      count('c', '10:00:00', [['A', 20]]),
    ]);
    expect(r).toMatchObject({ reserved_qty: 4, projected_qty: 20, available_qty: 16 });
  });

  it('reserved_qty never goes below zero (a release whose reserve is missing)', () => {
    const r = rowOf([
      count('c', '10:00:00', [['A', 20]]),
      reservation('r1', '10:01:00', 'release', 'A', 4),
    ]);
    expect(r).toMatchObject({ reserved_qty: 0, available_qty: 20 });
  });

  it('a reservation beyond the stock makes the SKU OVERSOLD', () => {
    const r = rowOf([
      count('c', '10:00:00', [['A', 2]]),
      reservation('r1', '10:01:00', 'reserve', 'A', 3),
    ]);
    expect(r).toMatchObject({
      projected_qty: 2,
      reserved_qty: 3,
      available_qty: -1,
      status: 'OVERSOLD',
    });
  });
});

describe('computeInventory: status', () => {
  it('a SKU never counted is UNKNOWN with null quantities, even after it sold', () => {
    const r = rowOf([
      sale('s1', '10:00:00', [['A', 2]]),
      sale('s2', '10:05:00', [['A', 1]]),
      reservation('r', '10:06:00', 'reserve', 'A', 1),
    ]);
    expect(r).toMatchObject({
      counted_qty: null,
      counted_at: null,
      net_movement: -3,
      projected_qty: null,
      reserved_qty: 1,
      available_qty: null,
      status: 'UNKNOWN',
      last_event_at: utc('04:36:00'),
    });
  });

  it('a shipment line alone makes a row (UNKNOWN)', () => {
    const r = rowOf([shipment('d', '10:00:00', 'dispatched', [['A', 10, null]])]);
    expect(r).toMatchObject({ status: 'UNKNOWN', net_movement: 0 });
  });

  it.each([
    [21, 'OK'],
    [20, 'LOW'], // at exactly the threshold
    [1, 'LOW'],
    [0, 'LOW'],
  ] as const)('staples (threshold 20) with %i available is %s', (qty, status) => {
    expect(
      rowOf([product('p', '08:00:00', 'A', 'staples'), count('c', '10:00:00', [['A', qty]])])
        .status,
    ).toBe(status);
  });

  it('a sale below zero is OVERSOLD', () => {
    const r = rowOf([count('c', '10:00:00', [['A', 1]]), sale('s', '10:01:00', [['A', 2]])]);
    expect(r).toMatchObject({ available_qty: -1, status: 'OVERSOLD' });
  });

  it('an SKU the product master does not know, or a category it does not know, gets the default 5', () => {
    const events = [
      product('p', '08:00:00', 'B', 'garden'),
      count('c', '10:00:00', [
        ['A', 5],
        ['B', 5],
        ['C', 6],
      ]),
    ];
    const rows = computeInventory(events);
    expect(rows.get('S0001|A')!.status).toBe('LOW');
    expect(rows.get('S0001|B')!.status).toBe('LOW');
    expect(rows.get('S0001|C')!.status).toBe('OK');
  });

  it('the product master applies even when it arrives after the stock events', () => {
    const r = rowOf([
      count('c', '10:00:00', [['A', 10]]),
      product('p', '11:00:00', 'A', 'dairy_fresh'),
    ]);
    expect(r.status).toBe('LOW'); // dairy_fresh threshold is 15; default would say OK
  });

  it('the latest product master by event time decides the category', () => {
    const events = [
      count('c', '10:00:00', [['A', 10]]),
      product('p2', '09:00:00', 'A', 'electronics'),
      product('p1', '08:00:00', 'A', 'staples'), // older, arrives later
    ];
    expect(rowOf(events).status).toBe('OK'); // electronics: threshold 2
  });
});

describe('computeInventory: keys and robustness', () => {
  it('keeps stores apart and keys rows `store|sku`', () => {
    const rows = computeInventory([
      count('c', '10:00:00', [['A', 5]], 'S0001'),
      sale('s', '10:01:00', [['A', 1]], 'S0002'),
    ]);
    expect([...rows.keys()].sort()).toEqual(['S0001|A', 'S0002|A']);
    expect(rows.get('S0002|A')!.status).toBe('UNKNOWN');
  });

  it('skips events whose time cannot be read rather than guessing', () => {
    const s = sale('s', '10:01:00', [['A', 1]]);
    const bad = { ...s, value: { ...s.value, event_ts: '2026-11-24 10:01' } };
    expect(rowOf([count('c', '10:00:00', [['A', 5]]), bad]).projected_qty).toBe(5);
  });

  it('does not depend on arrival order or on duplicates (simulated stream, shuffled)', () => {
    const sim = new Simulator({ seed: 77, stores: 6, skus: 300 });
    const events: AcceptedEvent[] = [];
    for (let i = 0; i < 6_000; i++) {
      const e = sim.next();
      // Spread event times so that order matters: 1 s per event.
      const value = {
        ...e.value,
        event_ts: new Date(Date.parse('2026-11-24T04:30:00Z') + i * 1000).toISOString(),
      };
      events.push({ topic: e.topic, value, acceptedAt: i });
    }
    const expected = computeInventory(events);
    const rng = new Prng(1);
    const shuffled = shuffle(rng, [...events]);
    // Re-deliveries later in the log are ignored.
    const redelivered = events
      .filter(() => rng.chance(0.1))
      .map((e) => ({ ...e, acceptedAt: e.acceptedAt + 1e6 }));
    const actual = computeInventory([...shuffled, ...redelivered]);
    expect(actual.size).toBe(expected.size);
    for (const [key, row] of expected) expect(actual.get(key)).toEqual(row);
  });
});

describe('computeStoreSummary', () => {
  it('counts statuses per store and lists silent stores with zeros', () => {
    const rows = computeInventory([
      product('p', '08:00:00', 'A', 'staples'),
      count('c1', '10:00:00', [
        ['A', 5],
        ['B', 50],
        ['C', 0],
      ]),
      sale('s', '10:01:00', [
        ['C', 1],
        ['D', 1],
      ]),
      count('c2', '10:00:00', [['A', 100]], 'S0002'),
    ]);
    const summary = computeStoreSummary(rows, [
      { store_id: 'S0001' },
      { store_id: 'S0002' },
      { store_id: 'S0003' },
    ]);
    expect([...summary.values()]).toEqual([
      {
        store_id: 'S0001',
        sku_count: 4,
        unknown_count: 1,
        oversold_count: 1,
        low_count: 1,
        ok_count: 1,
      },
      {
        store_id: 'S0002',
        sku_count: 1,
        unknown_count: 0,
        oversold_count: 0,
        low_count: 0,
        ok_count: 1,
      },
      {
        store_id: 'S0003',
        sku_count: 0,
        unknown_count: 0,
        oversold_count: 0,
        low_count: 0,
        ok_count: 0,
      },
    ]);
    expect(computeStoreSummary(rows.values()).get('S0001')!.sku_count).toBe(4);
  });
});
