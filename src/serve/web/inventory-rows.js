// One row of a store's inventory: its columns and how each cell is drawn from an API row.
//
// The columns follow the inventory arithmetic left to right (counted, net movement since the
// count, projected, reserved, available), so a manager can check a surprising number by eye.

import { secondsSince } from './clock.js';
import { flash, h, setText } from './dom.js';
import { ago, formatInt, formatIst, formatSigned, fullIst, toNum } from './format.js';
import { SEVERITY, STATUSES } from './state.js';

export const SKU_COLUMNS = [
  { key: 'sku', label: 'SKU', value: (r) => r.sku },
  { key: 'category', label: 'Category', value: (r) => r.category },
  { key: 'counted_qty', label: 'Counted', num: true, value: (r) => toNum(r.counted_qty) },
  {
    key: 'counted_at',
    label: 'Counted at (IST)',
    value: (r) => r.counted_at ?? null,
    text: formatIst,
    title: 'Time of the last stock count (IST)',
  },
  {
    key: 'net_movement',
    label: 'Net movement',
    num: true,
    value: (r) => toNum(r.net_movement),
    text: formatSigned,
    title: 'Sales, returns, receipts and fulfilled orders since the last count',
  },
  { key: 'projected_qty', label: 'Projected', num: true, value: (r) => toNum(r.projected_qty) },
  { key: 'reserved_qty', label: 'Reserved', num: true, value: (r) => toNum(r.reserved_qty) },
  { key: 'available_qty', label: 'Available', num: true, value: (r) => toNum(r.available_qty) },
  {
    key: 'status',
    label: 'Status',
    value: (r) => SEVERITY[r.status] ?? 9,
    title: 'Oversold first, then low, never counted, OK',
  },
  {
    key: 'last_accepted_at',
    label: 'Last updated',
    value: (r) => secondsSince(r.last_accepted_at),
    title: 'Time since the platform accepted the last event for this SKU',
  },
];

/** An empty row for one SKU: `{ tr, cells[], badge, row }`, drawn by `updateSkuRow`. */
export function makeSkuRow(sku) {
  const badge = h('span', { class: 'badge' }, '');
  const cells = SKU_COLUMNS.map((col) =>
    h(
      'td',
      { class: col.num ? 'num' : '', 'data-col': col.key },
      col.key === 'status' ? badge : '',
    ),
  );
  return { tr: h('tr', { 'data-testid': `sku-row-${sku}` }, cells), cells, badge, row: null };
}

/** Draws an API row into the table row; changed numbers flash, except on the first draw. */
export function updateSkuRow(r, row) {
  const animate = r.row !== null;
  r.row = row;
  SKU_COLUMNS.forEach((col, i) => {
    const td = r.cells[i];
    if (col.key === 'status') {
      const status = STATUSES.includes(row.status) ? row.status : 'UNKNOWN';
      if (setText(r.badge, status) && animate) flash(td);
      r.badge.className = `badge badge-${status}`;
      r.badge.dataset.status = status;
      return;
    }
    if (col.key === 'last_accepted_at') {
      td.title = fullIst(row.last_accepted_at);
      setText(td, ago(secondsSince(row.last_accepted_at)));
      return;
    }
    const v = col.value(row);
    const text = col.text
      ? col.text(v)
      : v === null || v === undefined
        ? '—'
        : col.num
          ? formatInt(v)
          : String(v);
    if (setText(td, text) && animate && col.num) flash(td);
    if (col.key === 'counted_at') td.title = fullIst(v);
    if (col.key === 'available_qty') td.classList.toggle('negative', v !== null && v < 0);
    if (col.key === 'net_movement') td.classList.toggle('muted', v === 0);
  });
  r.tr.title =
    row.status === 'UNKNOWN'
      ? 'Never counted: the platform does not know how many are on the shelf.'
      : `Low-stock threshold: ${formatInt(row.low_stock_threshold)}`;
}

/** Redraws only "Last updated" (the last column), which ages every second between fetches. */
export function updateSkuAge(r) {
  const td = r.cells[r.cells.length - 1];
  setText(td, ago(secondsSince(r.row.last_accepted_at)));
}
