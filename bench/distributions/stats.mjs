// The statistics bench/distributions.mjs compares, computed the same way for the simulator's
// bills and for a real dataset's baskets: both sides are fed to one BillStats as plain bills,
// and summarise() turns them into small histograms (JSON), so the dataset's side can be cached
// and every distance is taken between two histograms on the same grid.
//
// A bill: { kind: 'sale' | 'return', hour: 0..23 | null, dow: 0..6 (Sunday = 0) | null,
//           lines: [{ sku, qty, unitPrice, discount, group }] }
// with one line per distinct SKU, qty > 0 units, unitPrice the shelf price of one unit before
// discount, discount the line's total discount (same currency unit as unitPrice) and group one
// of GROUPS.

/** Bump when a statistic's definition changes: cached dataset statistics are then recomputed. */
export const STATS_VERSION = 1;

/** Category groups both sides can be mapped to (the simulator's categories are finer). */
export const GROUPS = [
  'fresh & dairy',
  'staples',
  'packaged food & drinks',
  'home & personal care',
  'general merchandise',
  'other',
];

/** Discrete supports: exact values up to `max`, then one `max+1 or more` bucket. */
const DISCRETE = {
  linesPerBill: { min: 1, max: 40 },
  unitsPerLine: { min: 1, max: 12 },
  unitsPerBill: { min: 1, max: 60 },
};

/** Log-spaced grid for ratios to the median: 1e-3 … 1e4, 100 bins a decade (2.3% wide). */
const LOG_GRID = { lo: -3, hi: 4, perDecade: 100 };
/** Linear grid for discount depth (share of the line's gross value), 1% bins. */
const DEPTH_BINS = 100;

function median(values) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function mean(values) {
  let s = 0;
  for (const v of values) s += v;
  return values.length ? s / values.length : NaN;
}

/** Histogram of x / scale on LOG_GRID: [under, bins…, over]; zeros land in `under`. */
function logHistogram(values, scale) {
  const bins = (LOG_GRID.hi - LOG_GRID.lo) * LOG_GRID.perDecade;
  const counts = new Array(bins + 2).fill(0);
  for (const v of values) {
    const r = v / scale;
    if (!(r > 0)) {
      counts[0]++;
      continue;
    }
    const b = Math.floor((Math.log10(r) - LOG_GRID.lo) * LOG_GRID.perDecade);
    counts[b < 0 ? 0 : b >= bins ? bins + 1 : b + 1]++;
  }
  return counts;
}

function linearHistogram(values, bins) {
  const counts = new Array(bins + 1).fill(0);
  for (const v of values) counts[Math.min(bins, Math.max(0, Math.floor(v * bins)))]++;
  return counts;
}

/** Value at quantile q of a histogram on LOG_GRID, as a ratio to the median (bin midpoint). */
function logQuantile(counts, q) {
  const total = counts.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (let i = 0; i < counts.length; i++) {
    acc += counts[i];
    if (acc >= q * total) {
      if (i === 0) return 0;
      return Math.pow(10, LOG_GRID.lo + (i - 0.5) / LOG_GRID.perDecade);
    }
  }
  return Infinity;
}

/** Accumulates bills; summarise() gives the JSON-able statistics. */
export class BillStats {
  constructor() {
    this.sales = 0;
    this.returns = 0;
    this.timed = 0;
    this.lineHist = new Map();
    this.unitHist = new Map();
    this.billUnitHist = new Map();
    this.hour = new Array(24).fill(0);
    this.dow = new Array(7).fill(0);
    this.billValues = [];
    this.unitPrices = [];
    this.lines = 0;
    this.discountedLines = 0;
    this.depths = [];
    this.skuUnits = new Map();
    this.groupUnits = new Map(GROUPS.map((g) => [g, 0]));
    this.groupValue = new Map(GROUPS.map((g) => [g, 0]));
  }

  add(bill) {
    if (bill.kind === 'return') {
      this.returns++;
      return;
    }
    if (bill.lines.length === 0) return;
    this.sales++;
    bump(this.lineHist, bucket(bill.lines.length, DISCRETE.linesPerBill));
    if (bill.hour !== null && bill.dow !== null) {
      this.timed++;
      this.hour[bill.hour]++;
      this.dow[bill.dow]++;
    }
    let value = 0;
    let units = 0;
    for (const line of bill.lines) {
      const gross = line.qty * line.unitPrice;
      const net = gross - line.discount;
      value += net;
      units += line.qty;
      this.lines++;
      bump(this.unitHist, bucket(line.qty, DISCRETE.unitsPerLine));
      this.unitPrices.push(line.unitPrice);
      if (line.discount > 0 && gross > 0) {
        this.discountedLines++;
        this.depths.push(Math.min(1, line.discount / gross));
      }
      this.skuUnits.set(line.sku, (this.skuUnits.get(line.sku) ?? 0) + line.qty);
      const group = GROUPS.includes(line.group) ? line.group : 'other';
      this.groupUnits.set(group, this.groupUnits.get(group) + line.qty);
      this.groupValue.set(group, this.groupValue.get(group) + net);
    }
    bump(this.billUnitHist, bucket(units, DISCRETE.unitsPerBill));
    this.billValues.push(value);
  }

  summarise() {
    const billMedian = median(this.billValues);
    const priceMedian = median(this.unitPrices);
    const skuUnits = [...this.skuUnits.values()].sort((a, b) => b - a);
    const totalUnits = skuUnits.reduce((a, b) => a + b, 0);
    const topShare = (fraction) => {
      const n = Math.max(1, Math.round(skuUnits.length * fraction));
      return skuUnits.slice(0, n).reduce((a, b) => a + b, 0) / totalUnits;
    };
    const groupValueTotal = [...this.groupValue.values()].reduce((a, b) => a + b, 0);
    return {
      statsVersion: STATS_VERSION,
      bills: this.sales,
      lines: this.lines,
      units: totalUnits,
      timedBills: this.timed,
      linesPerBill: discrete(this.lineHist, DISCRETE.linesPerBill, this.lines / this.sales),
      unitsPerLine: discrete(this.unitHist, DISCRETE.unitsPerLine, totalUnits / this.lines),
      unitsPerBill: discrete(this.billUnitHist, DISCRETE.unitsPerBill, totalUnits / this.sales),
      hourOfDay: this.timed ? { labels: range(0, 23).map(String), counts: this.hour } : null,
      dayOfWeek: this.timed
        ? { labels: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'], counts: this.dow }
        : null,
      billValue: {
        median: billMedian,
        meanRatio: mean(this.billValues) / billMedian,
        grid: LOG_GRID,
        counts: logHistogram(this.billValues, billMedian),
      },
      unitPrice: {
        median: priceMedian,
        meanRatio: mean(this.unitPrices) / priceMedian,
        grid: LOG_GRID,
        counts: logHistogram(this.unitPrices, priceMedian),
      },
      discountedLineShare: this.lines ? this.discountedLines / this.lines : NaN,
      discountDepth: {
        mean: mean(this.depths),
        counts: linearHistogram(this.depths, DEPTH_BINS),
      },
      skusSold: skuUnits.length,
      top10Share: topShare(0.1),
      top20Share: topShare(0.2),
      groupUnits: { labels: GROUPS, counts: GROUPS.map((g) => this.groupUnits.get(g)) },
      groupValue: {
        labels: GROUPS,
        counts: GROUPS.map((g) => this.groupValue.get(g) / (groupValueTotal || 1)),
      },
      returnShare: this.sales + this.returns ? this.returns / (this.sales + this.returns) : NaN,
    };
  }
}

function bump(map, key) {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function bucket(n, { max }) {
  return n > max ? max + 1 : n;
}

function range(a, b) {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

/** A bucketed histogram with the mean of the unbucketed values. */
function discrete(map, { min, max }, mean) {
  const keys = range(min, max + 1);
  return {
    labels: keys.map((k) => (k > max ? `${k}+` : String(k))),
    counts: keys.map((k) => map.get(k) ?? 0),
    mean,
  };
}

function shares(counts) {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total ? c / total : 0));
}

/** Total variation distance between two histograms on the same support: ½ Σ |p − q|. */
export function tvd(a, b) {
  const p = shares(a);
  const q = shares(b);
  return p.reduce((s, x, i) => s + Math.abs(x - q[i]), 0) / 2;
}

/** Kolmogorov–Smirnov statistic of two histograms on the same grid: max |F − G| at bin edges. */
export function ks(a, b) {
  const p = shares(a);
  const q = shares(b);
  let f = 0;
  let g = 0;
  let d = 0;
  for (let i = 0; i < p.length; i++) {
    f += p[i];
    g += q[i];
    d = Math.max(d, Math.abs(f - g));
  }
  return d;
}

/** Share-weighted mean of a discrete distribution given by labels 0..n-1 (hour of day). */
export function indexMean(counts) {
  const p = shares(counts);
  return p.reduce((s, x, i) => s + x * i, 0);
}

export { logQuantile, shares };
