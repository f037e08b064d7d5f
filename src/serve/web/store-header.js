// The top of a store's page: who the store is, how fresh its figures are, its totals.
//
// Drawn from the store's summary (the same record as its row in the overview), so it moves
// with the live feed between inventory fetches; a silent store is marked here, where the
// manager looks first, with its figures called "as of its last event".

import { h, setText } from './dom.js';
import { formatDuration, formatInt, formatRupees } from './format.js';
import { posSilenceBadge, renderPosSilence } from './pos-silence.js';
import { STATUSES, STATUS_LABEL, count, freshnessText, isStale, storeFreshness } from './state.js';

/** The header section of store `storeId`: `{ element, render(summary), renderFreshness(summary) }`. */
export function storeHeader(storeId) {
  const back = h('a', { href: '/', 'data-nav': true, class: 'back' }, '← All stores');
  const title = h('h1', null, storeId);
  const meta = h('p', { class: 'lede' }, '');
  const freshness = h('span', { class: 'fresh', 'data-testid': 'store-freshness' }, '');
  const silence = posSilenceBadge('store-pos-silent');
  const chips = Object.fromEntries(
    STATUSES.map((st) => [
      st,
      h('span', { class: 'card-value', 'data-testid': `store-count-${st}` }, '—'),
    ]),
  );
  const sales = h('span', { class: 'card-value', 'data-testid': 'store-sales' }, '—');
  const bills = h('span', { class: 'card-sub' }, '');
  const element = h(
    'section',
    { class: 'store-header', 'data-testid': 'store-header' },
    h(
      'div',
      { class: 'page-head' },
      back,
      title,
      meta,
      h('p', { class: 'lede' }, freshness, ' ', silence),
    ),
    h(
      'div',
      { class: 'totals' },
      STATUSES.map((st) =>
        h(
          'div',
          { class: `card card-${st}` },
          h('span', { class: 'card-label' }, STATUS_LABEL[st]),
          chips[st],
          h('span', { class: 'card-sub' }, 'SKUs'),
        ),
      ),
      h('div', { class: 'card' }, h('span', { class: 'card-label' }, 'Net sales'), sales, bills),
    ),
  );

  function render(summary) {
    if (!summary) return;
    setText(title, String(summary.name ?? storeId));
    document.title = `Freshet — ${summary.name ?? storeId}`;
    setText(
      meta,
      [
        summary.store_id,
        summary.city,
        summary.region,
        summary.format,
        `${formatInt(summary.skus)} SKUs`,
      ]
        .filter((x) => x !== null && x !== undefined && x !== '')
        .join(' · '),
    );
    for (const st of STATUSES) setText(chips[st], formatInt(count(summary, st)));
    setText(sales, formatRupees(summary.net_sales_paise));
    setText(bills, `${formatInt(summary.bills)} bills`);
    renderPosSilence(silence, summary);
    renderFreshness(summary);
  }

  /** Only the freshness line, which ages every second without a new summary. */
  function renderFreshness(summary) {
    if (!summary) return;
    const f = storeFreshness(summary);
    const stale = isStale(f);
    setText(
      freshness,
      stale
        ? `⚠ ${freshnessText(f)}: the figures below are as of its last event`
        : `Last event ${formatDuration(f)} ago`,
    );
    freshness.classList.toggle('fresh-stale', stale);
    element.classList.toggle('stale', stale);
  }

  return { element, render, renderFreshness };
}
