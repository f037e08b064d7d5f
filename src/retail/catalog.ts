// The product master (erp.products): categories with their low-stock thresholds, GST slabs and
// price bands, and a deterministic catalogue generator. The thresholds are part of the contract
// in docs/retail-events.md and must equal project/seeds/category_thresholds.csv.

import { CATEGORY_ITEMS, type Unit } from './catalog-items.js';
import { Prng, WeightedSampler } from './prng.js';

export const CATEGORIES = [
  'staples',
  'dairy_fresh',
  'packaged_food',
  'beverages',
  'personal_care',
  'home_care',
  'baby_care',
  'apparel',
  'footwear',
  'home_kitchen',
  'electronics',
  'festive',
] as const;

export type Category = (typeof CATEGORIES)[number];
export type GstRate = 0 | 5 | 18 | 40;

export interface CategoryInfo {
  /** Available units at or below which a SKU of this category is LOW. */
  lowStockThreshold: number;
  /** The category's usual GST 2.0 slab (from 22 Sep 2025); some items differ. */
  gstRatePct: GstRate;
  /** MRP band of one pack, integer paise: [lowest, highest]. */
  mrpRangePaise: readonly [number, number];
  /** Share of the catalogue's SKUs (assumed). */
  catalogShare: number;
  /** How often a SKU of this category sells relative to others of equal rank (assumed). */
  demand: number;
}

export const CATEGORY_INFO: Readonly<Record<Category, CategoryInfo>> = {
  staples: {
    lowStockThreshold: 20,
    gstRatePct: 5,
    mrpRangePaise: [2_000, 100_000],
    catalogShare: 12,
    demand: 2,
  },
  dairy_fresh: {
    lowStockThreshold: 15,
    gstRatePct: 0,
    mrpRangePaise: [2_000, 75_000],
    catalogShare: 7,
    demand: 4,
  },
  packaged_food: {
    lowStockThreshold: 12,
    gstRatePct: 5,
    mrpRangePaise: [1_000, 30_000],
    catalogShare: 18,
    demand: 2,
  },
  beverages: {
    lowStockThreshold: 12,
    gstRatePct: 5,
    mrpRangePaise: [2_000, 60_000],
    catalogShare: 8,
    demand: 2,
  },
  personal_care: {
    lowStockThreshold: 8,
    gstRatePct: 5,
    mrpRangePaise: [5_000, 35_000],
    catalogShare: 12,
    demand: 1,
  },
  home_care: {
    lowStockThreshold: 8,
    gstRatePct: 18,
    mrpRangePaise: [4_000, 50_000],
    catalogShare: 8,
    demand: 1,
  },
  baby_care: {
    lowStockThreshold: 6,
    gstRatePct: 5,
    mrpRangePaise: [5_000, 130_000],
    catalogShare: 4,
    demand: 0.7,
  },
  apparel: {
    lowStockThreshold: 4,
    gstRatePct: 5,
    mrpRangePaise: [19_900, 800_000],
    catalogShare: 10,
    demand: 0.4,
  },
  footwear: {
    lowStockThreshold: 3,
    gstRatePct: 5,
    mrpRangePaise: [14_900, 400_000],
    catalogShare: 5,
    demand: 0.3,
  },
  home_kitchen: {
    lowStockThreshold: 3,
    gstRatePct: 5,
    mrpRangePaise: [24_900, 600_000],
    catalogShare: 6,
    demand: 0.3,
  },
  electronics: {
    lowStockThreshold: 2,
    gstRatePct: 18,
    mrpRangePaise: [9_900, 5_300_000],
    catalogShare: 5,
    demand: 0.06,
  },
  festive: {
    lowStockThreshold: 10,
    gstRatePct: 5,
    mrpRangePaise: [9_900, 300_000],
    catalogShare: 5,
    demand: 0.5,
  },
};

/** Low-stock threshold per category, plus `default` for a SKU the product master does not know. */
export const CATEGORY_THRESHOLDS: Readonly<Record<Category | 'default', number>> = {
  ...(Object.fromEntries(CATEGORIES.map((c) => [c, CATEGORY_INFO[c].lowStockThreshold])) as Record<
    Category,
    number
  >),
  default: 5,
};

/**
 * The threshold for a category name as it arrives in data: unknown or missing → `default`.
 * Takes a plain string because the category comes from events, which may carry names this
 * build does not know.
 */
export function thresholdFor(category: string | undefined | null): number {
  if (category !== undefined && category !== null && Object.hasOwn(CATEGORY_THRESHOLDS, category)) {
    return CATEGORY_THRESHOLDS[category as Category];
  }
  return CATEGORY_THRESHOLDS.default;
}

export function isCategory(name: string): name is Category {
  return (CATEGORIES as readonly string[]).includes(name);
}

/** A product as the ERP describes it; exactly the `erp.products` payload without the envelope. */
export interface Sku {
  sku: string;
  name: string;
  category: Category;
  pack_size: number;
  unit: Unit;
  mrp_paise: number;
  gst_rate_pct: GstRate;
}

/** `SKU00001`-style id for a 1-based SKU number. */
export function skuId(n: number): string {
  return 'SKU' + String(n).padStart(5, '0');
}

/** Clothing and shoes up to ₹2,500 a piece are taxed at 5%, dearer ones at 18% (GST 2.0). */
const GARMENT_SLAB_LIMIT_PAISE = 250_000;

/**
 * Generates `skuCount` products `SKU00001`… with names, packs, MRPs and GST slabs. Same
 * (skuCount, seed) → same catalogue.
 */
export function generateCatalog(skuCount: number, seed: number): Sku[] {
  if (!Number.isSafeInteger(skuCount) || skuCount < 0)
    throw new RangeError(`bad SKU count: ${skuCount}`);
  const rng = new Prng(seed, 'catalog');
  const categoryPicker = new WeightedSampler(CATEGORIES.map((c) => CATEGORY_INFO[c].catalogShare));
  const usedNames = new Set<string>();
  const skus: Sku[] = [];
  for (let i = 0; i < skuCount; i++) {
    const category = CATEGORIES[categoryPicker.sample(rng)] as Category;
    const info = CATEGORY_INFO[category];
    const { brands, variants, items } = CATEGORY_ITEMS[category];
    const template = rng.pick(items);
    const [packSize, lowRupees, highRupees] = rng.pick(template.packs);
    const brand = rng.pick(brands);
    const variant = rng.pick(variants);
    const packText =
      template.unit === 'pc' && packSize === 1 ? '' : ` ${packSize} ${template.unit}`;
    const base = [brand, template.item, variant].filter((p) => p !== '').join(' ') + packText;
    // Real catalogues never repeat a name; a second draw of the same combination is a new
    // edition of it.
    let name = base;
    for (let n = 2; usedNames.has(name); n++) name = `${base} (${n})`;
    usedNames.add(name);

    const mrpPaise = clamp(
      roundMrp(lowRupees + rng.float() * (highRupees - lowRupees)) * 100,
      info.mrpRangePaise,
    );
    let gst: GstRate = template.gst ?? info.gstRatePct;
    if ((category === 'apparel' || category === 'footwear') && mrpPaise > GARMENT_SLAB_LIMIT_PAISE)
      gst = 18;
    skus.push({
      sku: skuId(i + 1),
      name,
      category,
      pack_size: packSize,
      unit: template.unit,
      mrp_paise: mrpPaise,
      gst_rate_pct: gst,
    });
  }
  return skus;
}

/** Whole rupees; above ₹100 the retail habit of prices ending in 9. */
function roundMrp(rupees: number): number {
  const r = Math.round(rupees);
  return r > 100 ? Math.floor(r / 10) * 10 + 9 : r;
}

function clamp(value: number, [low, high]: readonly [number, number]): number {
  return Math.min(high, Math.max(low, value));
}
