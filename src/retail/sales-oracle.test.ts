import { describe, expect, it } from 'vitest';
import type { AcceptedEvent } from './oracle.js';
import { computeSalesByCategoryDay, computeSalesByStoreHour, istHour } from './sales-oracle.js';

const pos = (
  id: string,
  ts: string,
  kind: string,
  lines: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
  acceptedAt = 0,
): AcceptedEvent => ({
  topic: 'pos.transactions',
  acceptedAt,
  value: {
    event_id: id,
    event_ts: ts,
    store_id: 'S0001',
    bill_id: `B-${id}`,
    kind,
    lines,
    ...extra,
  },
});

const line = (sku: string, qty: number, price = 1000, discount = 0) => ({
  sku,
  qty,
  unit_price_paise: price,
  discount_paise: discount,
});

describe('the sales oracle', () => {
  it('places bills in their IST hour, whatever the arrival order', () => {
    expect(istHour(Date.parse('2026-11-24T18:29:59Z'))).toEqual({ date: '2026-11-24', hour: 23 });
    expect(istHour(Date.parse('2026-11-24T18:30:00Z'))).toEqual({ date: '2026-11-25', hour: 0 });
  });

  it('sums sales, returns and voids, counts sale bills, drops duplicates and invalid events', () => {
    const events = [
      pos('e1', '2026-11-25T10:05:00+05:30', 'sale', [line('SKU1', 2), line('SKU2', 1, 500, 50)]),
      // a duplicate copy accepted later: ignored
      pos('e1', '2026-11-25T10:05:00+05:30', 'sale', [line('SKU1', 2)], {}, 5),
      pos('e2', '2026-11-25T10:59:59+05:30', 'return', [line('SKU1', 1)]),
      // one bad line makes the whole event invalid (silver quarantines it)
      pos('e3', '2026-11-25T10:10:00+05:30', 'sale', [line('SKU1', 1), line('SKU2', 0)]),
      // a late bill for the previous hour, same bill id twice in one hour counts once
      pos('e4', '2026-11-25T09:59:00+05:30', 'sale', [line('SKU3', 3)], { bill_id: 'B-x' }),
      pos('e5', '2026-11-25T09:01:00+05:30', 'sale', [line('SKU3', 1)], { bill_id: 'B-x' }),
      pos('e6', 'not a time', 'sale', [line('SKU1', 1)]),
      // a void of a bill rung up at 10:20: its sale stays, the void takes it back
      pos('e7', '2026-11-25T10:20:00+05:30', 'sale', [line('SKU4', 2, 300)], { bill_id: 'B-v' }),
      pos('e8', '2026-11-25T10:21:00+05:30', 'void', [line('SKU4', 2, 300)], {
        original_bill_id: 'B-v',
      }),
    ];
    const rows = computeSalesByStoreHour(events);
    expect(rows.get('S0001|2026-11-25|10')).toEqual({
      store_id: 'S0001',
      date_ist: '2026-11-25',
      hour_ist: 10,
      bills: 2,
      units_sold: 3 + 2,
      units_returned: 1,
      sales_paise: 2000 + 450 + 600,
      returns_paise: 1000,
      units_voided: 2,
      voids_paise: 600,
      net_sales_paise: 1450,
    });
    expect(rows.get('S0001|2026-11-25|9')).toMatchObject({ bills: 1, units_sold: 4 });
    expect(rows.size).toBe(2);
  });

  it('groups by the product master’s latest category, unknown without one', () => {
    const events: AcceptedEvent[] = [
      pos('e1', '2026-11-25T10:05:00+05:30', 'sale', [line('SKU1', 2), line('SKU9', 1)]),
      {
        topic: 'erp.products',
        acceptedAt: 0,
        value: {
          event_id: 'p1',
          event_ts: '2026-11-01T00:00:00+05:30',
          sku: 'SKU1',
          category: 'dairy',
        },
      },
      {
        topic: 'erp.products',
        acceptedAt: 0,
        value: {
          event_id: 'p2',
          event_ts: '2026-11-20T00:00:00+05:30',
          sku: 'SKU1',
          category: 'staples',
        },
      },
    ];
    const rows = computeSalesByCategoryDay(events);
    expect(rows.get('2026-11-25|staples')).toMatchObject({ units_sold: 2, sales_paise: 2000 });
    expect(rows.get('2026-11-25|unknown')).toMatchObject({ units_sold: 1 });
    expect(rows.has('2026-11-25|dairy')).toBe(false);
  });
});
