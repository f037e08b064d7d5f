import { Ajv, type ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { TOPICS, topicDefinition } from './events.js';
import { Simulator } from './simulator.js';

function validators(): Map<string, ValidateFunction> {
  // strict: a schema with a typo'd keyword fails here instead of silently accepting everything.
  const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
  return new Map(TOPICS.map((t) => [t.topic, ajv.compile(t.schema)]));
}

describe('TOPICS', () => {
  it('names the contract topics with their keys', () => {
    expect(TOPICS.map((t) => [t.topic, t.keyField])).toEqual([
      ['erp.stores', 'store_id'],
      ['erp.products', 'sku'],
      ['pos.transactions', 'store_id'],
      ['inventory.counts', 'store_id'],
      ['orders.reservations', 'store_id'],
      ['logistics.shipments', 'store_id'],
      ['inventory.transfers', 'store_id'],
      ['erp.prices', 'sku'],
      ['crm.customers', 'store_id'],
    ]);
    expect(topicDefinition('pos.transactions')?.master).toBe(false);
    expect(topicDefinition('erp.products')?.master).toBe(true);
    expect(topicDefinition('nope')).toBeUndefined();
  });

  it('schemas are draft-07, closed, and serialisable for a registry', () => {
    for (const t of TOPICS) {
      expect(t.schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
      expect(t.schema.additionalProperties).toBe(false);
      expect(JSON.parse(JSON.stringify(t.schema))).toEqual(t.schema);
      expect(t.schema.required).toContain(t.keyField);
    }
  });
});

describe('simulated events validate against the schemas', () => {
  it('for master data and 30,000 operational events', () => {
    const check = validators();
    const sim = new Simulator({ seed: 5, stores: 40, skus: 400 });
    const seen = new Set<string>();
    for (let i = 0; i < 30_440; i++) {
      const e = sim.next();
      const validate = check.get(e.topic);
      expect(validate, e.topic).toBeDefined();
      if (!validate!(e.value))
        throw new Error(`${e.topic} #${e.seq}: ${JSON.stringify(validate!.errors)}`);
      expect(e.key).toBe(e.value[topicDefinition(e.topic)!.keyField]);
      const variant =
        e.topic === 'logistics.shipments'
          ? `:${String(e.value.status)}`
          : e.topic === 'pos.transactions'
            ? `:${String(e.value.kind)}`
            : e.topic === 'inventory.transfers'
              ? `:${String(e.value.direction)}`
              : '';
      seen.add(e.topic + variant);
    }
    // Every topic, shipment status, POS kind and transfer direction was exercised.
    expect([...seen].sort()).toEqual(
      [
        'crm.customers',
        'erp.prices',
        'erp.products',
        'erp.stores',
        'inventory.counts',
        'inventory.transfers:in',
        'inventory.transfers:out',
        'logistics.shipments:delayed',
        'logistics.shipments:dispatched',
        'logistics.shipments:in_transit',
        'logistics.shipments:received',
        'orders.reservations',
        'pos.transactions:return',
        'pos.transactions:sale',
        'pos.transactions:void',
      ].sort(),
    );
  });
});

describe('the schemas reject what the contract forbids', () => {
  const check = validators();
  const sale = {
    event_id: 'e1',
    event_ts: '2026-11-24T21:03:05.120+05:30',
    store_id: 'S0001',
    bill_id: 'B1',
    register_id: 'R1',
    cashier_id: 'C1',
    kind: 'sale',
    original_bill_id: null,
    tender: 'upi',
    lines: [
      {
        line_no: 1,
        sku: 'SKU00001',
        qty: 1,
        unit_price_paise: 100,
        discount_paise: 0,
        gst_rate_pct: 5,
      },
    ],
  };
  const pos = check.get('pos.transactions')!;

  it('accepts a valid sale', () => {
    expect(pos(sale)).toBe(true);
  });

  it.each([
    ['qty 0', { lines: [{ ...sale.lines[0], qty: 0 }] }],
    ['fractional paise', { lines: [{ ...sale.lines[0], unit_price_paise: 10.5 }] }],
    ['a GST rate that is not a slab', { lines: [{ ...sale.lines[0], gst_rate_pct: 12 }] }],
    ['no lines', { lines: [] }],
    ['an unknown field', { loyalty_id: 'x' }],
    ['a timestamp without offset', { event_ts: '2026-11-24T21:03:05.120' }],
    ['a return without the original bill', { kind: 'return' }],
    ['a sale naming an original bill', { original_bill_id: 'B0' }],
    ['an unknown tender', { tender: 'cheque' }],
  ])('rejects %s', (_, change) => {
    expect(pos({ ...sale, ...change })).toBe(false);
  });

  it('shipments carry qty_received exactly when received', () => {
    const ship = check.get('logistics.shipments')!;
    const base = {
      event_id: 'e2',
      event_ts: '2026-11-24T21:03:05.120+05:30',
      store_id: 'S0001',
      shipment_id: 'SHP1',
      dc_id: 'DC01',
      eta: null,
    };
    const line = { sku: 'SKU00001', qty_dispatched: 10 };
    expect(ship({ ...base, status: 'received', lines: [{ ...line, qty_received: 9 }] })).toBe(true);
    expect(ship({ ...base, status: 'received', lines: [{ ...line, qty_received: null }] })).toBe(
      false,
    );
    expect(ship({ ...base, status: 'in_transit', lines: [{ ...line, qty_received: null }] })).toBe(
      true,
    );
    expect(ship({ ...base, status: 'in_transit', lines: [{ ...line, qty_received: 10 }] })).toBe(
      false,
    );
    expect(ship({ ...base, status: 'lost', lines: [{ ...line, qty_received: null }] })).toBe(false);
  });

  it('counts may be zero but not negative; reservations need qty ≥ 1', () => {
    const count = check.get('inventory.counts')!;
    const c = {
      event_id: 'e3',
      event_ts: '2026-11-24T21:03:05Z',
      store_id: 'S0001',
      count_id: 'C1',
      count_type: 'cycle',
    };
    expect(count({ ...c, lines: [{ sku: 'SKU00001', counted_qty: 0 }] })).toBe(true);
    expect(count({ ...c, lines: [{ sku: 'SKU00001', counted_qty: -1 }] })).toBe(false);
    const res = check.get('orders.reservations')!;
    const r = {
      event_id: 'e4',
      event_ts: '2026-11-24T21:03:05Z',
      store_id: 'S0001',
      reservation_id: 'R1',
      order_id: 'O1',
      action: 'reserve',
      sku: 'SKU00001',
    };
    expect(res({ ...r, qty: 1 })).toBe(true);
    expect(res({ ...r, qty: 0 })).toBe(false);
    expect(res({ ...r, qty: 1, action: 'cancel' })).toBe(false);
  });
});
