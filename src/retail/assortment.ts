// Which SKUs each store carries and how often each sells. Popularity is Zipf-like over a random
// global rank, scaled by category demand (milk sells more than televisions); a store's
// assortment is a weighted sample without replacement, so popular SKUs are nearly everywhere
// and the long tail differs from store to store.

import { CATEGORIES, CATEGORY_INFO, thresholdFor, type Category, type Sku } from './catalog.js';
import { Prng, WeightedSampler, shuffle } from './prng.js';
import type { Store, StoreFormat } from './stores.js';

/** SKUs a store of each format carries (RETAIL.md-inspired, assumed). */
export const ASSORTMENT_SIZE: Readonly<Record<StoreFormat, number>> = {
  hypermarket: 1500,
  supermarket: 600,
  express: 200,
};

/** Zipf exponent of sales over the global popularity rank (assumed). */
const POPULARITY_EXPONENT = 0.9;

/** How likely a format is to stock a category at all (express stores carry little non-food). */
const FORMAT_AFFINITY: Readonly<Record<StoreFormat, Partial<Record<Category, number>>>> = {
  hypermarket: {},
  supermarket: { electronics: 0.4, apparel: 0.5, footwear: 0.4, home_kitchen: 0.6 },
  express: { electronics: 0.05, apparel: 0.05, footwear: 0.05, home_kitchen: 0.2, baby_care: 0.6 },
};

/** Relative sales weight of every catalogue SKU (index = catalogue index). */
export function skuPopularity(catalog: readonly Sku[], seed: number): Float64Array {
  const rng = new Prng(seed, 'popularity');
  const rank = shuffle(
    rng,
    catalog.map((_, i) => i),
  );
  const popularity = new Float64Array(catalog.length);
  for (let r = 0; r < rank.length; r++) {
    const i = rank[r] as number;
    const sku = catalog[i] as Sku;
    popularity[i] = CATEGORY_INFO[sku.category].demand / Math.pow(r + 1, POPULARITY_EXPONENT);
  }
  return popularity;
}

/** What a store carries; fixed for the life of a simulator. */
export interface Assortment {
  /** Catalogue indices of the SKUs carried; a SKU's position here is its slot in StoreState. */
  skus: Int32Array;
  /** Positions in shelf order (by category, then SKU): the walk of a count. */
  aisleOrder: Int32Array;
  /** Low-stock threshold per position. */
  thresholds: Int32Array;
  /** Draws a position with probability proportional to its popularity. */
  demand: WeightedSampler;
}

/**
 * Draws a store's assortment: `ASSORTMENT_SIZE[format]` (±10%) SKUs, weighted by the square root
 * of popularity (flatter than sales, so the tail gets shelf space) and by format affinity.
 * Efraimidis–Spirakis keys give weighted sampling without replacement in one sort.
 */
export function buildAssortment(
  store: Store,
  catalog: readonly Sku[],
  popularity: Float64Array,
  seed: number,
): Assortment {
  const rng = new Prng(seed, `assortment:${store.store_id}`);
  const target = Math.round(ASSORTMENT_SIZE[store.format] * (0.9 + 0.2 * rng.float()));
  const size = Math.min(catalog.length, Math.max(1, target));
  const affinity = FORMAT_AFFINITY[store.format];

  const keys = new Float64Array(catalog.length);
  for (let i = 0; i < catalog.length; i++) {
    const sku = catalog[i] as Sku;
    const weight = Math.sqrt(popularity[i] as number) * (affinity[sku.category] ?? 1);
    // Smallest -ln(u)/w wins; 1 - float() keeps u in (0, 1].
    keys[i] = weight > 0 ? -Math.log(1 - rng.float()) / weight : Infinity;
  }
  // The size-th smallest key is the cut; a native numeric sort of a copy is far cheaper than
  // sorting indices with a comparator (this runs once per store).
  const cut = keys.slice().sort()[size - 1] as number;
  const skus = new Int32Array(size);
  let taken = 0;
  for (let i = 0; i < keys.length && taken < size; i++)
    if ((keys[i] as number) <= cut) skus[taken++] = i;

  const categoryRank = new Map<Category, number>(CATEGORIES.map((c, i) => [c, i]));
  const aisle = Array.from(skus.keys());
  aisle.sort((a, b) => {
    const ca = categoryRank.get((catalog[skus[a] as number] as Sku).category) as number;
    const cb = categoryRank.get((catalog[skus[b] as number] as Sku).category) as number;
    return ca - cb || a - b;
  });

  const thresholds = new Int32Array(size);
  const weights = new Float64Array(size);
  for (let p = 0; p < size; p++) {
    const i = skus[p] as number;
    thresholds[p] = thresholdFor((catalog[i] as Sku).category);
    weights[p] = popularity[i] as number;
  }
  return {
    skus,
    aisleOrder: Int32Array.from(aisle),
    thresholds,
    demand: new WeightedSampler(weights),
  };
}
