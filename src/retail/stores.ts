// The chain's store master (erp.stores). Geography and the format split follow
// /work/shared/RETAIL.md; the per-city shares and opening hours are assumed.

import { Prng, pickWeighted, shuffle } from './prng.js';

export type Region = 'North' | 'West' | 'South' | 'East' | 'Central';
export type StoreFormat = 'hypermarket' | 'supermarket' | 'express';

/** A store as the ERP describes it; exactly the `erp.stores` payload without the envelope. */
export interface Store {
  store_id: string;
  name: string;
  city: string;
  region: Region;
  format: StoreFormat;
  /** Local (IST) opening time, `HH:MM`. */
  opens: string;
  /** Local (IST) closing time, `HH:MM`. */
  closes: string;
}

interface City {
  name: string;
  region: Region;
  /** Relative share of the chain's stores (assumed: metros carry more). */
  weight: number;
  /** Large formats sit in metros; only these get hypermarkets. */
  metro: boolean;
}

export const CITIES: readonly City[] = [
  { name: 'Delhi NCR', region: 'North', weight: 10, metro: true },
  { name: 'Jaipur', region: 'North', weight: 3, metro: false },
  { name: 'Lucknow', region: 'North', weight: 3, metro: false },
  { name: 'Chandigarh', region: 'North', weight: 2, metro: false },
  { name: 'Mumbai', region: 'West', weight: 10, metro: true },
  { name: 'Pune', region: 'West', weight: 5, metro: true },
  { name: 'Ahmedabad', region: 'West', weight: 5, metro: true },
  { name: 'Surat', region: 'West', weight: 3, metro: false },
  { name: 'Bengaluru', region: 'South', weight: 9, metro: true },
  { name: 'Chennai', region: 'South', weight: 7, metro: true },
  { name: 'Hyderabad', region: 'South', weight: 7, metro: true },
  { name: 'Kochi', region: 'South', weight: 3, metro: false },
  { name: 'Coimbatore', region: 'South', weight: 3, metro: false },
  { name: 'Kolkata', region: 'East', weight: 7, metro: true },
  { name: 'Bhubaneswar', region: 'East', weight: 2, metro: false },
  { name: 'Patna', region: 'East', weight: 2, metro: false },
  { name: 'Guwahati', region: 'East', weight: 2, metro: false },
  { name: 'Indore', region: 'Central', weight: 3, metro: false },
  { name: 'Bhopal', region: 'Central', weight: 2, metro: false },
  { name: 'Nagpur', region: 'Central', weight: 3, metro: false },
  { name: 'Raipur', region: 'Central', weight: 2, metro: false },
];

/** Share of stores per format (RETAIL.md, assumed 5% / 35% / 60%). */
export const FORMAT_SHARE: Readonly<Record<StoreFormat, number>> = {
  hypermarket: 0.05,
  supermarket: 0.35,
  express: 0.6,
};

/** Sales volume relative to the average store (RETAIL.md, assumed 8× / 2× / 0.5×). */
export const FORMAT_VOLUME: Readonly<Record<StoreFormat, number>> = {
  hypermarket: 8,
  supermarket: 2,
  express: 0.5,
};

const BANNER: Readonly<Record<StoreFormat, string>> = {
  hypermarket: 'Bazaar Mega',
  supermarket: 'Bazaar Super',
  express: 'Bazaar Express',
};

// Malls open late; neighbourhood stores open early and close late.
const HOURS: Readonly<
  Record<StoreFormat, readonly (readonly [readonly [string, string], number])[]>
> = {
  hypermarket: [
    [['10:00', '22:00'], 6],
    [['09:00', '22:00'], 3],
    [['10:00', '23:00'], 1],
  ],
  supermarket: [
    [['09:00', '22:00'], 6],
    [['08:00', '22:00'], 2],
    [['09:30', '21:30'], 2],
  ],
  express: [
    [['09:00', '22:00'], 4],
    [['07:00', '23:00'], 3],
    [['08:00', '22:30'], 3],
  ],
};

/** `S0001`-style id for a 1-based store number. */
export function storeId(n: number): string {
  return 'S' + String(n).padStart(4, '0');
}

/** Exact format counts for `count` stores: FORMAT_SHARE rounded, express takes the rest. */
export function formatCounts(count: number): Record<StoreFormat, number> {
  const hypermarket = Math.round(count * FORMAT_SHARE.hypermarket);
  const supermarket = Math.round(count * FORMAT_SHARE.supermarket);
  return { hypermarket, supermarket, express: Math.max(0, count - hypermarket - supermarket) };
}

/**
 * Generates the store master: `count` stores `S0001`…, formats split 5/35/60, spread over the
 * cities of RETAIL.md (hypermarkets in metros only). Same (count, seed) → same stores.
 */
export function generateStores(count: number, seed: number): Store[] {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`bad store count: ${count}`);
  const rng = new Prng(seed, 'stores');
  const counts = formatCounts(count);
  const formats: StoreFormat[] = [];
  for (const f of ['hypermarket', 'supermarket', 'express'] as const) {
    for (let i = 0; i < counts[f]; i++) formats.push(f);
  }
  shuffle(rng, formats);

  const allCities = CITIES.map((c) => [c, c.weight] as const);
  const metros = CITIES.filter((c) => c.metro).map((c) => [c, c.weight] as const);
  const perCity = new Map<string, number>();
  const stores: Store[] = [];
  for (let i = 0; i < count; i++) {
    const format = formats[i] as StoreFormat;
    const city = pickWeighted(rng, format === 'hypermarket' ? metros : allCities);
    const nth = (perCity.get(city.name) ?? 0) + 1;
    perCity.set(city.name, nth);
    const [opens, closes] = pickWeighted(rng, HOURS[format]);
    stores.push({
      store_id: storeId(i + 1),
      name: `${BANNER[format]} ${city.name} ${nth}`,
      city: city.name,
      region: city.region,
      format,
      opens,
      closes,
    });
  }
  return stores;
}
