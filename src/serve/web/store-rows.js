// One row of the store list: its columns and how each cell is drawn from a store summary.
//
// Kept apart from the page that lists the rows so the columns (what a manager compares across
// stores) can be read and changed without the filtering and sorting around them.

import { flash, h, setText } from './dom.js';
import { formatInt, formatRupees, toNum } from './format.js';
import { posSilenceBadge, renderPosSilence } from './pos-silence.js';
import { STATUSES, STATUS_LABEL, count, freshnessText, isStale, storeFreshness } from './state.js';

export const STORE_COLUMNS = [
  { key: 'store_id', label: 'Store', value: (s) => s.store_id },
  { key: 'name', label: 'Name', value: (s) => s.name },
  { key: 'city', label: 'City', value: (s) => s.city },
  { key: 'region', label: 'Region', value: (s) => s.region },
  { key: 'format', label: 'Format', value: (s) => s.format },
  ...STATUSES.map((st) => ({
    key: st,
    label: STATUS_LABEL[st],
    num: true,
    status: st,
    value: (s) => count(s, st),
    text: (v) => formatInt(v),
  })),
  {
    key: 'net_sales_paise',
    label: 'Net sales',
    num: true,
    value: (s) => toNum(s.net_sales_paise),
    text: formatRupees,
  },
  {
    key: 'freshness',
    label: 'Freshness',
    num: true,
    title: 'Time since the store last sent an event the platform accepted',
    value: storeFreshness,
  },
];

/**
 * An empty row for one store: `{ tr, cells[], badge, silence, store }`, drawn by
 * `updateStoreRow`. The freshness cell also holds the "POS silent" badge.
 */
export function makeStoreRow(id) {
  const link = h('a', { href: `/stores/${encodeURIComponent(id)}`, 'data-nav': true }, id);
  const cells = STORE_COLUMNS.map((col, i) =>
    h(
      'td',
      {
        class: [col.num ? 'num' : '', col.status ? `count-${col.status}` : '', `col-${col.key}`]
          .join(' ')
          .trim(),
      },
      i === 0 ? link : '',
    ),
  );
  const badge = h('span', { class: 'fresh' }, '');
  const silence = posSilenceBadge(`pos-silent-${id}`);
  cells[cells.length - 1].append(badge, silence);
  const tr = h('tr', { 'data-testid': `store-row-${id}`, 'data-store': id }, cells);
  return { tr, cells, badge, silence, store: null };
}

/** Draws a new summary into the row; with `animate`, changed numbers flash. */
export function updateStoreRow(row, store, animate) {
  row.store = store;
  STORE_COLUMNS.forEach((col, i) => {
    if (i === 0 || col.key === 'freshness') return;
    const v = col.value(store);
    const text = col.text ? col.text(v) : v === null || v === undefined ? '—' : String(v);
    const td = row.cells[i];
    if (setText(td, text) && animate && col.num) flash(td);
    if (col.status) td.classList.toggle('zero', v === 0);
    if (col.key === 'name') td.title = text;
  });
  renderPosSilence(row.silence, store);
  updateStoreFreshness(row);
}

/** Redraws only the freshness badge, which ages every second without a new summary. */
export function updateStoreFreshness(row) {
  const f = storeFreshness(row.store);
  const stale = isStale(f);
  setText(row.badge, freshnessText(f));
  if (row.tr.classList.contains('stale') !== stale) {
    row.tr.classList.toggle('stale', stale);
    row.badge.classList.toggle('fresh-stale', stale);
    row.tr.title = stale
      ? 'This store has not sent an event recently; its numbers are not current.'
      : '';
  }
}
