import { describe, expect, it } from 'vitest';
import { Simulator, parseEventTs, type SimEvent } from '../retail/index.js';
import { applyFaults, NO_FAULTS } from './feed-faults.js';

function operational(n: number): SimEvent[] {
  const sim = new Simulator({
    seed: 3,
    stores: 10,
    skus: 50,
    clock: () => Date.UTC(2026, 10, 24, 12),
  });
  const out: SimEvent[] = [];
  while (out.length < n) {
    const e = sim.next();
    if (!sim.isMaster(e)) out.push(e);
  }
  return out;
}

describe('feed faults', () => {
  const events = operational(20_000);

  it('changes nothing when off', () => {
    for (const e of events.slice(0, 100)) expect(applyFaults(e, NO_FAULTS, 3)).toEqual([e]);
  });

  it('injects each fault at about its rate, the same way every time', () => {
    const faults = {
      lateRate: 0.05,
      duplicateRate: 0.03,
      malformedRate: 0.01,
      clockSkewMinutes: 0,
      shuffle: false,
    };
    const out = events.map((e) => applyFaults(e, faults, 3));
    expect(events.map((e) => applyFaults(e, faults, 3))).toEqual(out); // deterministic per (seed, seq)
    const dups = out.filter((copies) => copies.length === 2).length / events.length;
    const late =
      out.filter(([c], i) => {
        const before = parseEventTs(String(events[i]!.value.event_ts));
        const after = parseEventTs(String(c!.value.event_ts));
        return before !== null && after !== null && before - after >= 60_000;
      }).length / events.length;
    const broken =
      out.filter(
        ([c]) =>
          !('store_id' in c!.value) ||
          c!.value.event_ts === 'yesterday evening' ||
          !('event_id' in c!.value) ||
          JSON.stringify(c!.value).includes('"qty":0'),
      ).length / events.length;
    expect(dups).toBeGreaterThan(0.02);
    expect(dups).toBeLessThan(0.04);
    expect(late).toBeGreaterThan(0.04);
    expect(late).toBeLessThan(0.06);
    expect(broken).toBeGreaterThan(0.005);
    expect(broken).toBeLessThan(0.02);
  });

  it('skews each store by its own fixed offset within the bound', () => {
    const faults = { ...NO_FAULTS, clockSkewMinutes: 5 };
    const offsets = new Map<string, Set<number>>();
    for (const e of events.slice(0, 2000)) {
      const [c] = applyFaults(e, faults, 3);
      const d = parseEventTs(String(c!.value.event_ts))! - parseEventTs(String(e.value.event_ts))!;
      expect(Math.abs(d)).toBeLessThanOrEqual(5 * 60_000);
      const store = String(e.value.store_id);
      offsets.set(store, (offsets.get(store) ?? new Set()).add(d));
    }
    for (const set of offsets.values()) expect(set.size).toBe(1);
    expect(new Set([...offsets.values()].map((s) => [...s][0])).size).toBeGreaterThan(1);
  });
});
