// A store's stockout risk: the SKUs most likely to run out on the forecast day and what to order
// (gold.demand_forecast, from /api/stores/{id}/forecast, most urgent first). Text only: every
// value from the server goes in with textContent.

import { getJson } from './api.js';
import { h, setText } from './dom.js';
import { formatInt, toNum } from './format.js';

/** How many SKUs the panel lists. */
const TOP = 10;
export const RISK_LABEL = {
  OUT: 'Out',
  HIGH: 'High',
  MEDIUM: 'Medium',
  UNKNOWN: 'Unknown',
  LOW: 'Low',
};

/** Two decimals for forecast units and days of cover ("—" when there is none). */
function formatDecimal(value) {
  const n = toNum(value);
  if (n === null || !Number.isFinite(n)) return '—';
  return n.toLocaleString('en-IN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

const COLUMNS = [
  ['SKU', (r) => String(r.sku)],
  ['Category', (r) => String(r.category ?? '—')],
  ['Risk', null],
  ['Available', (r) => formatInt(r.available_qty), 'num'],
  ['Forecast (units)', (r) => formatDecimal(r.forecast_units), 'num'],
  ['Cover (days)', (r) => formatDecimal(r.days_of_cover), 'num'],
  ['Suggested order', (r) => formatInt(r.suggested_replenishment_qty), 'num'],
];

/** The panel; `load()` fetches the store's top SKUs by risk, `element` goes on the page. */
export function stockoutRisk(base) {
  const title = h(
    'h2',
    { class: 'section-title', 'data-testid': 'stockout-title' },
    'Stockout risk',
  );
  const note = h(
    'p',
    { class: 'lede' },
    'Forecast from the last week of sales, shaped by hour, weekday and the festival calendar; the order covers the lead time and a safety day on top of the low-stock threshold.',
  );
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'grid risk', 'data-testid': 'stockout-table' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        COLUMNS.map(([label, , cls]) => h('th', { class: cls ?? '' }, label)),
      ),
    ),
    body,
  );
  const element = h(
    'section',
    { class: 'stockout-risk', 'data-testid': 'stockout-risk' },
    title,
    note,
    h('div', { class: 'table-wrap' }, table),
  );

  function render(rows) {
    const first = rows[0];
    setText(
      title,
      first
        ? `Stockout risk for ${first.forecast_date}${first.event ? ` (${first.event})` : ''}`
        : 'Stockout risk',
    );
    const trs = rows.map((r) =>
      h(
        'tr',
        { 'data-testid': `risk-row-${r.sku}` },
        COLUMNS.map(([, text, cls]) =>
          text
            ? h('td', { class: cls ?? '' }, text(r))
            : h(
                'td',
                null,
                h(
                  'span',
                  { class: `badge badge-risk-${r.stockout_risk}` },
                  RISK_LABEL[r.stockout_risk] ?? String(r.stockout_risk),
                ),
              ),
        ),
      ),
    );
    if (trs.length === 0)
      trs.push(
        h(
          'tr',
          { class: 'empty' },
          h('td', { colspan: COLUMNS.length }, 'No forecast yet: the store has not sold anything.'),
        ),
      );
    body.replaceChildren(...trs);
  }

  async function load() {
    const res = await getJson(`${base}/forecast?limit=${TOP}`);
    if (res.ok && Array.isArray(res.body)) render(res.body);
  }

  return { element, load };
}
