import { describe, expect, it } from 'vitest';
import { CITIES, formatCounts, generateStores, storeId } from './stores.js';

describe('generateStores', () => {
  const stores = generateStores(800, 42);

  it('numbers the stores S0001…S0800', () => {
    expect(stores).toHaveLength(800);
    expect(stores[0]!.store_id).toBe('S0001');
    expect(stores[799]!.store_id).toBe('S0800');
    expect(new Set(stores.map((s) => s.store_id)).size).toBe(800);
    expect(storeId(12)).toBe('S0012');
  });

  it('splits formats 5% / 35% / 60% exactly', () => {
    const count = (f: string) => stores.filter((s) => s.format === f).length;
    expect([count('hypermarket'), count('supermarket'), count('express')]).toEqual([40, 280, 480]);
    expect(formatCounts(7)).toEqual({ hypermarket: 0, supermarket: 2, express: 5 });
  });

  it('places stores in the RETAIL.md cities, hypermarkets only in metros', () => {
    const byName = new Map(CITIES.map((c) => [c.name, c]));
    for (const s of stores) {
      const city = byName.get(s.city);
      expect(city, s.city).toBeDefined();
      expect(s.region).toBe(city!.region);
      if (s.format === 'hypermarket') expect(city!.metro).toBe(true);
    }
    expect(new Set(stores.map((s) => s.region))).toEqual(
      new Set(['North', 'West', 'South', 'East', 'Central']),
    );
  });

  it('gives opening hours as HH:MM, opening before closing', () => {
    for (const s of stores) {
      expect(s.opens).toMatch(/^\d{2}:\d{2}$/);
      expect(s.closes).toMatch(/^\d{2}:\d{2}$/);
      expect(s.opens < s.closes).toBe(true);
    }
  });

  it('is deterministic for a seed and differs between seeds', () => {
    expect(generateStores(800, 42)).toEqual(stores);
    expect(generateStores(800, 43)).not.toEqual(stores);
  });

  it('names are unique', () => {
    expect(new Set(stores.map((s) => s.name)).size).toBe(800);
  });
});
