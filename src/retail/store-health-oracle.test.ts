import { describe, expect, it } from 'vitest';
import type { AcceptedEvent } from './oracle.js';
import { computeStoreHealth } from './store-health-oracle.js';

let seq = 0;
const ev = (topic: string, value: Record<string, unknown>, acceptedAt = 0): AcceptedEvent => ({
  topic,
  acceptedAt,
  value: { event_id: `e${++seq}`, ...value },
});

const store = (id: string, opens: string, closes: string) =>
  ev('erp.stores', {
    event_ts: '2026-11-01T00:00:00.000+05:30',
    store_id: id,
    name: `Store ${id}`,
    city: 'Pune',
    region: 'West',
    format: 'express',
    opens,
    closes,
  });

const sale = (storeId: string, ts: string, billId: string, kind = 'sale', acceptedAt = 0) =>
  ev(
    'pos.transactions',
    {
      event_ts: ts,
      store_id: storeId,
      bill_id: billId,
      kind,
      lines: [{ line_no: 1, sku: 'SKU00001', qty: 1, unit_price_paise: 100 }],
    },
    acceptedAt,
  );

const T = (ist: string) => `2026-11-24T${ist}+05:30`;
const utc = (ist: string) => new Date(Date.parse(T(ist))).toISOString();

describe('the store-health oracle', () => {
  // The chain's clock is the latest POS event anywhere: S0002's bill at 20:00:00.000 IST.
  const events = [
    store('S0001', '09:00', '22:00'),
    store('S0002', '09:00', '22:00'),
    store('S0003', '07:00', '19:00'),
    store('S0004', '09:00', '22:00'),
    // S0001 last rang a bill at 18:44:29.700: 1 h 15 min 30.3 s = 75.505 min before the
    // watermark, 75.51 rounded half up; open at 20:00 and quiet for more than 60 min: silent.
    sale('S0001', T('10:00:00.000'), 'B1-1', 'sale', 1000),
    sale('S0001', T('18:44:29.700'), 'B1-2', 'sale', 2000),
    // S0002 rings the watermark itself: gap 0, not silent. Two bills (a sale and a return; a
    // second copy of the sale, accepted later, is the same bill and counts once).
    sale('S0002', T('19:10:00.000'), 'B2-1', 'sale', 3000),
    sale('S0002', T('20:00:00.000'), 'B2-2', 'return', 4000),
    // S0003 (07:00–19:00) rang its last bill at 10:00 and stayed open nine more hours without
    // one: silent, though it is closed at 20:00 — tills that died in the morning stay news.
    sale('S0003', T('10:00:00.000'), 'B3-1', 'sale', 5000),
    // S0004 never rang a bill but did count stock at 19:30 (accepted at 9000): open, never sold,
    // so silent, with no gap to show.
    ev(
      'inventory.counts',
      {
        event_ts: T('19:30:00.000'),
        store_id: 'S0004',
        count_id: 'C1',
        lines: [{ sku: 'SKU00001', counted_qty: 4 }],
      },
      9000,
    ),
    // Events silver rejects count nowhere: a POS line with qty 0 (S0004's tills stay silent) and
    // a count from the future with a negative quantity.
    ev('pos.transactions', {
      event_ts: T('19:59:00.000'),
      store_id: 'S0004',
      bill_id: 'B4-bad',
      kind: 'sale',
      lines: [{ line_no: 1, sku: 'SKU00001', qty: 0 }],
    }),
    ev('inventory.counts', {
      event_ts: T('23:00:00.000'),
      store_id: 'S0004',
      lines: [{ sku: 'SKU00001', counted_qty: -1 }],
    }),
  ];
  // The duplicate delivery of S0002's sale: the first copy (accepted at 3000) counts.
  events.push({ ...events[6]!, acceptedAt: 99_999 });
  const rows = computeStoreHealth(events);
  const watermark = utc('20:00:00.000');

  it('flags an open store whose tills have been quiet for more than an hour of chain time', () => {
    expect(rows.get('S0001')).toEqual({
      store_id: 'S0001',
      name: 'Store S0001',
      city: 'Pune',
      region: 'West',
      format: 'express',
      opens: '09:00',
      closes: '22:00',
      last_pos_at: utc('18:44:29.700'),
      last_event_at: utc('18:44:29.700'),
      last_accepted_at: new Date(2000).toISOString(),
      pos_bills: 2,
      chain_watermark: watermark,
      pos_gap_minutes: 75.51,
      open_at_watermark: true,
      silent_open_minutes: 75.51,
      is_silent: true,
      silent_after_minutes: 60,
    });
  });

  it('does not flag the store that rang the watermark, and counts each bill once', () => {
    expect(rows.get('S0002')).toMatchObject({
      last_pos_at: watermark,
      pos_bills: 2,
      pos_gap_minutes: 0,
      open_at_watermark: true,
      is_silent: false,
      last_accepted_at: new Date(4000).toISOString(),
    });
  });

  it('counts only opening hours: a store quiet all day is silent after closing, one that closed soon after its last bill is not', () => {
    expect(rows.get('S0003')).toMatchObject({
      pos_gap_minutes: 600,
      open_at_watermark: false,
      silent_open_minutes: 540,
      is_silent: true,
    });
    // S0005 (09:00–19:00) sold at 18:30: half an hour open, then closed for an hour.
    const closed = computeStoreHealth([
      ...events,
      store('S0005', '09:00', '19:00'),
      sale('S0005', T('18:30:00.000'), 'B5-1'),
    ]);
    expect(closed.get('S0005')).toMatchObject({
      pos_gap_minutes: 90,
      open_at_watermark: false,
      silent_open_minutes: 30,
      is_silent: false,
    });
  });

  it('counts opening hours across midnight, day by day', () => {
    // The next morning at 09:30 IST: S0006 (09:00–22:00) last sold at 21:50 the day before:
    // 10 minutes that evening + 30 this morning = 40 open minutes: not silent.
    const nextDay = computeStoreHealth([
      store('S0006', '09:00', '22:00'),
      sale('S0006', T('21:50:00.000'), 'B6-1'),
      sale('S0002', '2026-11-25T09:30:00.000+05:30', 'B2-9'),
    ]);
    expect(nextDay.get('S0006')).toMatchObject({
      pos_gap_minutes: 700,
      silent_open_minutes: 40,
      is_silent: false,
    });
  });

  it('flags an open store that never sold, with no gap, and its other events as activity', () => {
    expect(rows.get('S0004')).toMatchObject({
      last_pos_at: null,
      last_event_at: utc('19:30:00.000'),
      last_accepted_at: new Date(9000).toISOString(),
      pos_bills: 0,
      pos_gap_minutes: null,
      open_at_watermark: true,
      // Open from the chain's first bill (10:00) to the watermark without ringing one.
      silent_open_minutes: 600,
      is_silent: true,
    });
  });

  it('takes the threshold as an option and has one row per store of the master', () => {
    expect([...rows.keys()].sort()).toEqual(['S0001', 'S0002', 'S0003', 'S0004']);
    const lenient = computeStoreHealth(events, { silentAfterMinutes: 90 });
    expect(lenient.get('S0001')).toMatchObject({ is_silent: false, silent_after_minutes: 90 });
    expect(lenient.get('S0004')!.is_silent).toBe(true);
  });

  it('opening hours are [opens, closes): a store closing at 20:00 is closed at 20:00', () => {
    const early = computeStoreHealth([...events, store('S0005', '09:00', '20:00')]);
    expect(early.get('S0005')).toMatchObject({ open_at_watermark: false });
    const late = computeStoreHealth([...events, store('S0006', '20:00', '23:00')]);
    // Open at 20:00 for no time yet: not silent; one that opened at 18:30 has been for 90 min.
    expect(late.get('S0006')).toMatchObject({
      open_at_watermark: true,
      silent_open_minutes: 0,
      is_silent: false,
    });
    const opened = computeStoreHealth([...events, store('S0007', '18:30', '23:00')]);
    expect(opened.get('S0007')).toMatchObject({ silent_open_minutes: 90, is_silent: true });
  });

  it('without any POS event nobody is silent: the chain has no clock yet', () => {
    const quiet = computeStoreHealth([store('S0001', '00:00', '23:59')]);
    expect(quiet.get('S0001')).toMatchObject({
      chain_watermark: null,
      open_at_watermark: false,
      is_silent: false,
      last_event_at: null,
    });
  });
});
