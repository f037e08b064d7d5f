import { beforeAll, describe, expect, it } from 'vitest';
import { computeInventory, type AcceptedEvent } from './oracle.js';
import { parseEventTs } from './ist-time.js';
import { EVENT_MIX, istMidnight, Simulator, type SimEvent } from './simulator.js';

const BASE = Date.UTC(2026, 10, 24, 4, 30, 0);

/** A clock that advances 1 ms per read: no two events share a timestamp. */
function tickingClock(start = BASE): () => number {
  let now = start;
  return () => now++;
}

/** Event content without the clock-derived fields (event_ts, a shipment's eta, a price's start). */
function content(e: SimEvent): unknown {
  const { event_ts: _ts, eta: _eta, effective_from: _from, ...rest } = e.value;
  return { ...e, value: rest };
}

function take(sim: Simulator, n: number): SimEvent[] {
  return Array.from({ length: n }, () => sim.next());
}

describe('Simulator stream', () => {
  it('starts with all stores, then all products, then operational events', () => {
    const sim = new Simulator({ seed: 1, stores: 20, skus: 150, clock: tickingClock() });
    const events = take(sim, 400);
    expect(events.slice(0, 20).every((e) => e.topic === 'erp.stores')).toBe(true);
    expect(events.slice(20, 170).every((e) => e.topic === 'erp.products')).toBe(true);
    // Later erp.products events are updates (an MRP revision), never the master burst again.
    expect(events.slice(170).some((e) => e.topic === 'erp.stores')).toBe(false);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(events[0]!.value).toMatchObject({ event_id: 'sim-1-0', store_id: 'S0001' });
    expect(events[20]!.value).toMatchObject({ event_id: 'sim-1-20', sku: 'SKU00001' });
    expect(sim.isMaster(events[0]!)).toBe(true);
    expect(sim.isMaster(events[170]!)).toBe(false);
    expect(events.map((e) => e.value.event_id)).toEqual(events.map((e) => `sim-1-${e.seq}`));
    expect(sim.stores).toHaveLength(20);
    expect(sim.catalog).toHaveLength(150);
  });

  it('is deterministic: same seed → the same first 50,000 events apart from event_ts', () => {
    const a = new Simulator({ seed: 42, clock: tickingClock() });
    const b = new Simulator({ seed: 42, clock: tickingClock(BASE + 86_400_000) });
    for (let i = 0; i < 50_000; i++) {
      const ea = content(a.next());
      const eb = content(b.next());
      // Compare as text first: 50,000 deep equality assertions would dominate the test's time.
      if (JSON.stringify(ea) !== JSON.stringify(eb)) expect(eb).toEqual(ea);
    }
  });

  it('differs between seeds', () => {
    const a = take(new Simulator({ seed: 1, stores: 30, skus: 200 }), 400).slice(230);
    const b = take(new Simulator({ seed: 2, stores: 30, skus: 200 }), 400).slice(230);
    expect(a.map(content)).not.toEqual(b.map(content));
  });

  it('skipTo(n) then next() returns the event a fresh run produces at n', () => {
    const reference = take(
      new Simulator({ seed: 9, stores: 50, skus: 400, clock: tickingClock() }),
      40_001,
    );
    const sim = new Simulator({ seed: 9, stores: 50, skus: 400, clock: tickingClock() });
    for (const n of [0, 1, 49, 50, 449, 450, 451, 7_777, 39_999, 20_000, 3, 33_333]) {
      sim.skipTo(n); // forwards and backwards (the last three rewind)
      expect(sim.position).toBe(n);
      expect(content(sim.next())).toEqual(content(reference[n]!));
      expect(content(sim.next())).toEqual(content(reference[n + 1]!));
    }
  });

  it('skipTo agrees with next() deep into the stream at full size', () => {
    const walked = new Simulator({ seed: 3 });
    for (let i = 0; i < 150_000; i++) walked.next();
    const skipped = new Simulator({ seed: 3 });
    skipped.skipTo(150_000);
    expect(take(skipped, 200).map(content)).toEqual(take(walked, 200).map(content));
  });

  it('event_ts is IST with milliseconds and never goes back, even when the clock does', () => {
    const times = [BASE, BASE + 5, BASE + 2, BASE + 2, BASE + 10, BASE - 1000, BASE + 11];
    let i = 0;
    const sim = new Simulator({
      seed: 4,
      stores: 10,
      skus: 50,
      clock: () => times[i++ % times.length]! + 0.7,
    });
    let last = -Infinity;
    for (let k = 0; k < 500; k++) {
      const ts = sim.next().value.event_ts as string;
      expect(ts).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+05:30$/);
      const ms = parseEventTs(ts)!;
      expect(ms).toBeGreaterThanOrEqual(last);
      last = ms;
    }
    expect(
      new Simulator({ seed: 4, stores: 10, skus: 50, clock: () => BASE }).next().value.event_ts,
    ).toBe('2026-11-24T10:00:00.000+05:30');
  });

  it('rejects bad seeds and positions', () => {
    expect(() => new Simulator({ seed: -1 })).toThrow(RangeError);
    expect(() => new Simulator({ seed: 1.5 })).toThrow(RangeError);
    const sim = new Simulator({ seed: 1, stores: 5, skus: 20 });
    expect(() => sim.skipTo(-1)).toThrow(RangeError);
  });
});

describe('Simulator realism', () => {
  let sim: Simulator;
  let master: SimEvent[];
  let ops: SimEvent[];
  let pos: SimEvent[];
  let counts: SimEvent[];
  let reservations: SimEvent[];
  let shipments: SimEvent[];

  beforeAll(() => {
    sim = new Simulator({ seed: 2026, clock: tickingClock() });
    master = take(sim, sim.stores.length + sim.catalog.length);
    ops = take(sim, 200_000);
    const byTopic = (topic: string) => ops.filter((e) => e.topic === topic);
    pos = byTopic('pos.transactions');
    counts = byTopic('inventory.counts');
    reservations = byTopic('orders.reservations');
    shipments = byTopic('logistics.shipments');
  });

  it('mixes topics as EVENT_MIX says', () => {
    const share = (list: SimEvent[]) => list.length / ops.length;
    expect(share(pos)).toBeCloseTo(EVENT_MIX['pos.transactions'], 2);
    // A store with nothing to transfer does a cycle count instead.
    expect(share(counts)).toBeGreaterThan(EVENT_MIX['inventory.counts'] - 0.005);
    expect(share(counts)).toBeLessThan(
      EVENT_MIX['inventory.counts'] + EVENT_MIX['inventory.transfers'] + 0.005,
    );
    expect(share(reservations)).toBeCloseTo(EVENT_MIX['orders.reservations'], 2);
    expect(share(shipments)).toBeCloseTo(EVENT_MIX['logistics.shipments'], 2);
    const other = (topic: string) => ops.filter((e) => e.topic === topic).length / ops.length;
    expect(other('crm.customers')).toBeCloseTo(EVENT_MIX['crm.customers'], 2);
    expect(other('erp.prices') + other('erp.products')).toBeCloseTo(EVENT_MIX['erp.prices'], 2);
    expect(other('inventory.transfers')).toBeGreaterThan(EVENT_MIX['inventory.transfers'] / 2);
    expect(master).toHaveLength(3800);
  });

  it('weights stores by format: a hypermarket is ~4× a supermarket and ~16× an express store', () => {
    const perStore = new Map<string, number>();
    for (const e of ops) perStore.set(e.key, (perStore.get(e.key) ?? 0) + 1);
    const avg = (format: string) => {
      const ids = sim.stores.filter((s) => s.format === format).map((s) => s.store_id);
      return ids.reduce((sum, id) => sum + (perStore.get(id) ?? 0), 0) / ids.length;
    };
    expect(avg('hypermarket') / avg('supermarket')).toBeGreaterThan(3.6);
    expect(avg('hypermarket') / avg('supermarket')).toBeLessThan(4.4);
    expect(avg('supermarket') / avg('express')).toBeGreaterThan(3.6);
    expect(avg('supermarket') / avg('express')).toBeLessThan(4.4);
  });

  it('bills have 1–40 lines, UPI leads, ~4% are returns and ~1% voids of an earlier bill of the same store', () => {
    type Bill = {
      bill_id: string;
      store_id: string;
      kind: string;
      original_bill_id: string | null;
      tender: string;
    };
    type Line = { sku: string; qty: number; line_no: number };
    const billsSeen = new Map<string, { store: string; lines: Map<string, number> }>();
    const problems: string[] = [];
    let returns = 0;
    let voids = 0;
    const tenders = new Map<string, number>();
    // Plain checks collected into a list: per-line expect() calls would dominate the run time.
    for (const e of pos) {
      const v = e.value as Bill & { lines: Line[] };
      if (v.lines.length < 1 || v.lines.length > 40)
        problems.push(`${v.bill_id}: ${v.lines.length} lines`);
      if (v.lines.some((l, i) => l.line_no !== i + 1)) problems.push(`${v.bill_id}: line numbers`);
      tenders.set(v.tender, (tenders.get(v.tender) ?? 0) + 1);
      if (v.kind === 'sale') {
        if (v.original_bill_id !== null) problems.push(`${v.bill_id}: sale with an original bill`);
        billsSeen.set(v.bill_id, {
          store: v.store_id,
          lines: new Map(v.lines.map((l) => [l.sku, l.qty])),
        });
        continue;
      }
      if (v.kind === 'void') voids++;
      else returns++;
      const original = billsSeen.get(v.original_bill_id ?? '');
      if (original === undefined || original.store !== v.store_id) {
        problems.push(`${v.bill_id}: returns unknown bill ${v.original_bill_id}`);
        continue;
      }
      for (const l of v.lines) {
        if (!(l.qty <= (original.lines.get(l.sku) ?? 0)))
          problems.push(`${v.bill_id}: returns more ${l.sku}`);
      }
      // A void cancels the whole bill: every line, every unit.
      if (v.kind === 'void' && v.lines.length !== original.lines.size)
        problems.push(`${v.bill_id}: voids part of ${v.original_bill_id}`);
      billsSeen.delete(v.original_bill_id!); // a bill is returned against at most once
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(returns / pos.length).toBeGreaterThan(0.034);
    expect(returns / pos.length).toBeLessThan(0.046);
    expect(voids / pos.length).toBeGreaterThan(0.007);
    expect(voids / pos.length).toBeLessThan(0.013);
    const top = [...tenders].sort((a, b) => b[1] - a[1])[0]![0];
    expect(top).toBe('upi');
  });

  it('counts are cycle counts of 5–20 lines or full-count pages of at most 50', () => {
    let cycle = 0;
    const problems: string[] = [];
    for (const e of counts) {
      const v = e.value as { count_id: string; count_type: string; lines: { sku: string }[] };
      const n = v.lines.length;
      if (n > 50 || new Set(v.lines.map((l) => l.sku)).size !== n)
        problems.push(`${v.count_id}: ${n} lines`);
      if (v.count_type !== 'cycle') continue;
      cycle++;
      if (n < 5 || n > 20) problems.push(`${v.count_id}: cycle count of ${n}`);
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(cycle / counts.length).toBeGreaterThan(0.85);
    expect(counts.length - cycle).toBeGreaterThan(0);
  });

  it('reservations are released or fulfilled only after being reserved, once', () => {
    const open = new Map<string, { sku: string; qty: number }>();
    const actions = new Map<string, number>();
    for (const e of reservations) {
      const v = e.value as { reservation_id: string; action: string; sku: string; qty: number };
      actions.set(v.action, (actions.get(v.action) ?? 0) + 1);
      if (v.action === 'reserve') {
        expect(open.has(v.reservation_id)).toBe(false);
        open.set(v.reservation_id, { sku: v.sku, qty: v.qty });
      } else {
        expect(open.get(v.reservation_id)).toEqual({ sku: v.sku, qty: v.qty });
        open.delete(v.reservation_id);
      }
    }
    expect(actions.get('fulfil')! > actions.get('release')!).toBe(true);
  });

  it('shipments go dispatched → in_transit → (delayed) → received, sometimes short', () => {
    type Shipment = { shipment_id: string; store_id: string; status: string; eta: string | null };
    type Line = { sku: string; qty_dispatched: number; qty_received: number | null };
    const next: Record<string, string[]> = {
      dispatched: ['in_transit'],
      in_transit: ['delayed', 'received'],
      delayed: ['received'],
    };
    const state = new Map<string, { status: string; store: string; lines: string }>();
    const problems: string[] = [];
    let short = 0;
    let delayed = 0;
    for (const e of shipments) {
      const v = e.value as Shipment & { lines: Line[] };
      const prev = state.get(v.shipment_id);
      const lines = JSON.stringify(v.lines.map((l) => [l.sku, l.qty_dispatched]));
      if (prev === undefined && v.status !== 'dispatched')
        problems.push(`${v.shipment_id} starts ${v.status}`);
      if (prev !== undefined && !(next[prev.status] ?? []).includes(v.status)) {
        problems.push(`${v.shipment_id}: ${prev.status} → ${v.status}`);
      }
      if (prev !== undefined && (prev.store !== v.store_id || prev.lines !== lines)) {
        problems.push(`${v.shipment_id} changed store or lines`);
      }
      state.set(v.shipment_id, { status: v.status, store: v.store_id, lines });
      if ((v.eta === null) !== (v.status === 'received'))
        problems.push(`${v.shipment_id}: eta ${v.eta}`);
      if (v.status === 'delayed') delayed++;
      if (v.status !== 'received') continue;
      for (const l of v.lines) {
        if (l.qty_received === null || l.qty_received > l.qty_dispatched)
          problems.push(`${v.shipment_id}: received`);
        else if (l.qty_received < l.qty_dispatched) short++;
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(short).toBeGreaterThan(0);
    expect(delayed).toBeGreaterThan(0);
  });

  it('with the oracle: counts track true stock, LOW is visible, OVERSOLD is rare', () => {
    const accepted: AcceptedEvent[] = [...master, ...ops].map((e) => ({
      topic: e.topic,
      value: e.value,
      acceptedAt: 0,
    }));
    const rows = computeInventory(accepted);
    const status = { UNKNOWN: 0, OVERSOLD: 0, LOW: 0, OK: 0 };
    let counted = 0;
    let matching = 0;
    for (const r of rows.values()) {
      status[r.status]++;
      if (r.projected_qty !== null) {
        counted++;
        if (r.projected_qty === sim.trueStock(r.store_id, r.sku)) matching++;
      }
    }
    // Only miscounts separate a counted row's projection from the shelf.
    expect(matching / counted).toBeGreaterThan(0.98);
    expect(status.LOW / counted).toBeGreaterThan(0.005);
    expect(status.OVERSOLD / counted).toBeLessThan(0.001);
    expect(status.UNKNOWN).toBeGreaterThan(0);
    expect(status.OK).toBeGreaterThan(status.LOW);
  });
});

describe('Simulator replay clock', () => {
  const DIWALI = istMidnight('2026-11-08');
  const NORMAL = istMidnight('2026-03-10'); // a Tuesday, no festival near
  const DAY = 86_400_000;

  /** Every event of one replayed day (and the first event after it). */
  function replayDay(start: number, stores = 40, skus = 400): SimEvent[] {
    const sim = new Simulator({ seed: 7, stores, skus, start });
    const out: SimEvent[] = [];
    while ((sim.nextEventMs as number) < start + DAY) out.push(sim.next());
    return out;
  }
  const at = (e: SimEvent) => parseEventTs(e.value.event_ts as string)!;
  const istHourOf = (ms: number) => new Date(ms + 19_800_000).getUTCHours();

  it('is a pure function of the position, event_ts included, and skipTo agrees', () => {
    const a = new Simulator({ seed: 7, stores: 30, skus: 300, start: DIWALI });
    const b = new Simulator({ seed: 7, stores: 30, skus: 300, start: DIWALI });
    const first = take(a, 20_000);
    expect(take(b, 20_000)).toEqual(first);
    const c = new Simulator({ seed: 7, stores: 30, skus: 300, start: DIWALI });
    c.skipTo(15_000);
    expect(c.next()).toEqual(first[15_000]);
    // Master data carries the start; operational events never go back in time.
    expect(first[0]!.value.event_ts).toBe('2026-11-08T00:00:00.000+05:30');
    const times = first.slice(330).map(at);
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
  });

  it('sells only in opening hours, most in the evening, and runs stock operations at night', () => {
    const events = replayDay(NORMAL);
    const pos = events.filter((e) => e.topic === 'pos.transactions');
    const byHour = new Array<number>(24).fill(0);
    for (const e of pos) byHour[istHourOf(at(e))]!++;
    // The earliest store opens at 07:00 and the latest closes at 23:00.
    expect(byHour.slice(0, 7).concat(byHour[23]!)).toEqual(new Array(8).fill(0));
    const evening = byHour.slice(18, 21).reduce((a, b) => a + b, 0) / 3;
    const morning = byHour.slice(9, 12).reduce((a, b) => a + b, 0) / 3;
    expect(evening / morning).toBeGreaterThan(1.6);
    // Counts, shipments and the rest go on at night.
    const night = events.filter((e) => istHourOf(at(e)) < 6 && e.seq >= 440);
    expect(night.length).toBeGreaterThan(0);
    expect(night.some((e) => e.topic === 'pos.transactions')).toBe(false);
    // A normal day: about the chain's bills per day (40 stores × AVERAGE_BILLS_PER_DAY scaled
    // by format, × the Tuesday factor).
    expect(pos.length).toBeGreaterThan(40 * 600 * 0.86 * 0.6);
    expect(pos.length).toBeLessThan(40 * 600 * 0.86 * 1.6);
  });

  it('lifts Diwali several times over, festive goods most of all', () => {
    const normal = replayDay(NORMAL);
    const diwali = replayDay(DIWALI);
    const bills = (list: SimEvent[]) => list.filter((e) => e.topic === 'pos.transactions');
    const lift = bills(diwali).length / bills(normal).length;
    // Diwali's peak of 4× on a Sunday (1.3) against a Tuesday (0.86).
    expect(lift).toBeGreaterThan(4);
    expect(lift).toBeLessThan(8);
    const festiveShare = (list: SimEvent[], catalog: Map<string, string>) => {
      let festive = 0;
      let all = 0;
      for (const e of bills(list)) {
        for (const l of e.value.lines as { sku: string; qty: number }[]) {
          all += l.qty;
          if (catalog.get(l.sku) === 'festive') festive += l.qty;
        }
      }
      return festive / all;
    };
    const sim = new Simulator({ seed: 7, stores: 40, skus: 400 });
    const catalog = new Map(sim.catalog.map((s) => [s.sku, s.category as string]));
    expect(festiveShare(diwali, catalog)).toBeGreaterThan(3 * festiveShare(normal, catalog));
  });

  it('never sells above MRP, and revises an MRP at most once', () => {
    const sim = new Simulator({ seed: 11, stores: 20, skus: 100, start: NORMAL });
    const original = new Map(sim.catalog.map((s) => [s.sku, s.mrp_paise]));
    const mrp = new Map(original);
    const revisions = new Map<string, number>();
    for (let i = 0; i < 150_000; i++) {
      const e = sim.next();
      if (e.topic === 'erp.products' && !sim.isMaster(e)) {
        const sku = e.value.sku as string;
        revisions.set(sku, (revisions.get(sku) ?? 0) + 1);
        mrp.set(sku, e.value.mrp_paise as number);
      } else if (e.topic === 'erp.prices') {
        expect(e.value.price_paise as number).toBeLessThanOrEqual(e.value.mrp_paise as number);
      } else if (e.topic === 'pos.transactions') {
        for (const l of e.value.lines as { sku: string; unit_price_paise: number }[])
          if (l.unit_price_paise > mrp.get(l.sku)!) throw new Error(`${l.sku} sold above MRP`);
      }
    }
    expect(revisions.size).toBeGreaterThan(0);
    expect(Math.max(...revisions.values())).toBe(1);
    for (const [sku, m] of mrp) expect(m).toBeLessThanOrEqual(Math.ceil(original.get(sku)! * 1.09));
  });
});
