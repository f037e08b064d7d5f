import { beforeAll, describe, expect, it } from 'vitest';
import { computeInventory, type AcceptedEvent } from './oracle.js';
import { parseEventTs } from './ist-time.js';
import { Simulator, type SimEvent } from './simulator.js';

const BASE = Date.UTC(2026, 10, 24, 4, 30, 0);

/** A clock that advances 1 ms per read: no two events share a timestamp. */
function tickingClock(start = BASE): () => number {
  let now = start;
  return () => now++;
}

/** Event content without the clock-derived fields (event_ts, and a shipment's eta). */
function content(e: SimEvent): unknown {
  const { event_ts: _ts, eta: _eta, ...rest } = e.value;
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
    expect(events.slice(170).some((e) => e.topic.startsWith('erp.'))).toBe(false);
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

  it('mixes topics about 80 / 7 / 5 / 8 %', () => {
    const share = (list: SimEvent[]) => list.length / ops.length;
    expect(share(pos)).toBeCloseTo(0.8, 2);
    expect(share(counts)).toBeCloseTo(0.07, 2);
    expect(share(reservations)).toBeCloseTo(0.05, 2);
    expect(share(shipments)).toBeCloseTo(0.08, 2);
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

  it('bills have 1–8 lines, UPI leads, ~4% are returns of an earlier bill of the same store', () => {
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
    const tenders = new Map<string, number>();
    // Plain checks collected into a list: per-line expect() calls would dominate the run time.
    for (const e of pos) {
      const v = e.value as Bill & { lines: Line[] };
      if (v.lines.length < 1 || v.lines.length > 8)
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
      returns++;
      const original = billsSeen.get(v.original_bill_id ?? '');
      if (original === undefined || original.store !== v.store_id) {
        problems.push(`${v.bill_id}: returns unknown bill ${v.original_bill_id}`);
        continue;
      }
      for (const l of v.lines) {
        if (!(l.qty <= (original.lines.get(l.sku) ?? 0)))
          problems.push(`${v.bill_id}: returns more ${l.sku}`);
      }
      billsSeen.delete(v.original_bill_id!); // a bill is returned against at most once
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(returns / pos.length).toBeGreaterThan(0.034);
    expect(returns / pos.length).toBeLessThan(0.046);
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
