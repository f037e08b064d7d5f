import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CATEGORIES,
  CATEGORY_INFO,
  CATEGORY_THRESHOLDS,
  generateCatalog,
  skuId,
  thresholdFor,
} from './catalog.js';

/** The table of docs/retail-events.md, "Categories and low-stock thresholds". */
const DOC_THRESHOLDS = {
  staples: 20,
  dairy_fresh: 15,
  packaged_food: 12,
  beverages: 12,
  personal_care: 8,
  home_care: 8,
  baby_care: 6,
  apparel: 4,
  footwear: 3,
  home_kitchen: 3,
  electronics: 2,
  festive: 10,
  default: 5,
};

describe('categories and thresholds', () => {
  it('are exactly the contract table', () => {
    expect(CATEGORY_THRESHOLDS).toEqual(DOC_THRESHOLDS);
    expect([...CATEGORIES, 'default']).toEqual(Object.keys(DOC_THRESHOLDS));
  });

  it('equal project/seeds/category_thresholds.csv', () => {
    const csv = readFileSync(
      new URL('../../project/seeds/category_thresholds.csv', import.meta.url),
      'utf8',
    );
    const [header, ...rows] = csv.trim().split(/\r?\n/);
    expect(header).toBe('category,low_stock_threshold');
    const fromCsv = Object.fromEntries(
      rows.map((row) => {
        const [category, threshold] = row.split(',');
        return [category, Number(threshold)];
      }),
    );
    expect(fromCsv).toEqual(CATEGORY_THRESHOLDS);
    expect(rows).toHaveLength(Object.keys(CATEGORY_THRESHOLDS).length);
  });

  it('thresholdFor falls back to default for unknown or missing categories', () => {
    expect(thresholdFor('staples')).toBe(20);
    expect(thresholdFor('electronics')).toBe(2);
    expect(thresholdFor('garden')).toBe(5);
    expect(thresholdFor(undefined)).toBe(5);
    expect(thresholdFor(null)).toBe(5);
    // Not fooled by names every object has.
    expect(thresholdFor('constructor')).toBe(5);
    expect(thresholdFor('toString')).toBe(5);
  });
});

describe('generateCatalog', () => {
  const catalog = generateCatalog(3000, 42);

  it('numbers SKUs SKU00001… with unique names', () => {
    expect(catalog).toHaveLength(3000);
    expect(catalog[0]!.sku).toBe('SKU00001');
    expect(catalog[2999]!.sku).toBe(skuId(3000));
    expect(new Set(catalog.map((s) => s.name)).size).toBe(3000);
  });

  it('prices in integer paise within the category band, with GST 2.0 slabs', () => {
    const rates = new Set<number>();
    for (const s of catalog) {
      const [low, high] = CATEGORY_INFO[s.category].mrpRangePaise;
      expect(Number.isInteger(s.mrp_paise)).toBe(true);
      expect(s.mrp_paise).toBeGreaterThanOrEqual(low);
      expect(s.mrp_paise).toBeLessThanOrEqual(high);
      expect([0, 5, 18, 40]).toContain(s.gst_rate_pct);
      expect(s.pack_size).toBeGreaterThan(0);
      rates.add(s.gst_rate_pct);
      // Garments and shoes above ₹2,500 are in the 18% slab, cheaper ones in 5%.
      if (s.category === 'apparel' || s.category === 'footwear') {
        expect(s.gst_rate_pct).toBe(s.mrp_paise > 250_000 ? 18 : 5);
      }
    }
    expect([...rates].sort((a, b) => a - b)).toEqual([0, 5, 18, 40]);
  });

  it('covers every category', () => {
    expect(new Set(catalog.map((s) => s.category))).toEqual(new Set(CATEGORIES));
  });

  it('is deterministic for a seed', () => {
    expect(generateCatalog(3000, 42)).toEqual(catalog);
    expect(generateCatalog(100, 42)).toEqual(catalog.slice(0, 100));
  });
});
